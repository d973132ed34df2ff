"""The shape of a refusal that lists every problem at once (settings, mappings, profiles)."""

from __future__ import annotations


class Problems(ValueError):
    """Refused for these reasons; ``problems`` lists each one, in words for the user."""

    def __init__(self, problems: list[str]):
        super().__init__(" ".join(problems))
        self.problems = problems
