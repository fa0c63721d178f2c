def greeting() -> str:
    return "Hello from Shiny"
