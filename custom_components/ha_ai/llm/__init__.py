"""Language models on Home Assistant's side.

The backends, the setup steps, and the wording of suggestions; prompts and
answers live in `engine/llm`.
"""
