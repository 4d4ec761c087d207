"""Advice inside library messages and warnings (which name library parameters: ``allow_stale``,
``url_base``) said in the CLI's words: every error and warning the CLI prints passes through
:func:`in_cli_words` (passplan.cli.common ``fail``/``warn``). Imports nothing of the CLI."""

from __future__ import annotations

__all__ = ["CLI_WORDS", "in_cli_words"]

#: Advice inside any library message or warning, in the CLI's words (:func:`in_cli_words`).
CLI_WORDS = {
    "give allow_stale=True to use them anyway": "use --allow-stale to use them anyway",
    "used anyway (allow_stale)": "used anyway (--allow-stale)",
    "check the query and url_base": "check the query and --url-base",
    "check the network connection or url_base": "check the network connection or --url-base",
}


def in_cli_words(text: str) -> str:
    """A library message with the advice it gives in library words (:data:`CLI_WORDS`) said
    with the CLI's options: every error and warning the CLI prints passes through here."""
    for phrase, words in CLI_WORDS.items():
        text = text.replace(phrase, words)
    return text
