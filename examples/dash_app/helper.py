def greeting() -> str:
    return "Hello from Dash"
