"""Generation backends. Each module has `generate(request) -> Iterator[str]`; `models_ft.api` picks one by
`GENERATION_BACKEND`. Only `local` touches torch, and only inside its functions."""
