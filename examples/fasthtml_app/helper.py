def greeting() -> str:
    return "Hello from FastHTML"
