"""The one way to show user text: as text, never as markdown, LaTeX, HTML or an image.

Names, values, labels, view and profile names, reasons and notes come from users and
imported files. Streamlit renders most strings as markdown (titles, captions, alerts,
widget labels, radio options, toasts, tooltips), so ``**x**`` would turn bold,
``$$x$$`` into LaTeX, ``:red[x]`` red and ``![p](http://host/p.png)`` into an image
every viewer's browser fetches. Two tools, used everywhere user text is shown:

- :func:`show` writes a value as plain text (``st.text``), cut to a readable length
  with the whole value in its tooltip;
- :func:`md` escapes text for a place that renders markdown, so it reads exactly as
  typed (each character markdown gives a meaning is backslash-escaped, which CommonMark
  defines as the literal character), after :func:`short` cut it.
"""

from __future__ import annotations

import re

import streamlit as st

TITLE_LIMIT = 120  # a record or view name in a heading
LABEL_LIMIT = 60  # a name on a button, tab or option
VALUE_LIMIT = 400  # a property value in a panel
TOOLTIP_LIMIT = 5_000  # the whole value on hover (a tooltip has to end somewhere)

# The characters markdown, LaTeX and Streamlit's directives give a meaning (``:red[...]``,
# ``:material/...:``, ``$...$``, ``![...](...)``, ``<b>``, ``&amp;``, lists, headings, tables).
MARKUP = "\\`*_{}[]()#+-.!|~<>$:&^="
_PUNCTUATION = re.compile("([" + re.escape(MARKUP) + "])")
_SPACES = re.compile(r"\s+")
# GFM turns a bare URL, "www." or an email address into a link even with its punctuation
# escaped; an invisible word joiner inside "://", "www." and before "@" keeps it text.
JOINER = "\u2060"
_AUTOLINK = re.compile(r"(?i)(?<=:)(?=//)|(?<=www)(?=\.)|(?=@)")


def short(text, limit: int = LABEL_LIMIT) -> str:
    """``text`` cut to ``limit`` characters (an ellipsis marks the cut)."""
    text = "" if text is None else str(text)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def md(text, limit: int | None = None) -> str:
    """``text`` for a markdown place: cut (when ``limit`` is given), on one line, escaped.

    Line breaks become spaces: a label or heading is one line, and a line starting
    with spaces would otherwise become a code block.
    """
    text = "" if text is None else str(text)
    if limit is not None:
        text = short(_SPACES.sub(" ", text).strip(), limit)
    text = _SPACES.sub(" ", text) if "\n" in text or "\r" in text else text
    return _PUNCTUATION.sub(r"\\\1", _AUTOLINK.sub(JOINER, text))


def tooltip(text, limit: int) -> str | None:
    """The whole text for a tooltip, escaped; None when nothing was cut."""
    text = "" if text is None else str(text)
    return md(short(text, TOOLTIP_LIMIT)) if len(text) > limit else None


def show(text, *, where=st, limit: int = VALUE_LIMIT, empty: str = "—") -> None:
    """A value as plain text, cut to ``limit`` characters with the whole of it on hover."""
    text = "" if text is None else str(text)
    if not text.strip():
        where.text(empty)
        return
    where.text(short(text, limit), help=tooltip(text, limit))


def title(text, *, where=st, level: str = "title", limit: int = TITLE_LIMIT) -> None:
    """A heading made of user text (a record or view name): escaped, cut, whole on hover."""
    heading = {"title": where.title, "header": where.header, "subheader": where.subheader}[level]
    heading(md(text, limit), help=tooltip(text, limit), anchor=False)


def message(text) -> str:
    """A message built from user text (an error naming a value, a toast naming a view)."""
    return md(short(text, 2_000))


def error(text, **kwargs) -> None:
    st.error(message(text), **{"icon": ":material/error:", **kwargs})


def warning(text, **kwargs) -> None:
    st.warning(message(text), **kwargs)


def info(text, **kwargs) -> None:
    st.info(message(text), **kwargs)
