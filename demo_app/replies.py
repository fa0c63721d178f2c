"""How the offline backend words an answer: edit ``phrase`` to change what it says.

The offline backend has no language model, so it follows the system message the one
way it can: it words each reply like the message's example replies (the line after
"You should respond with something like:"). The first example's words around its
answer frame a confident reply, the second's a less certain one, and the second's
words between its two answers bring in the alternatives. Edit those examples in
app.py, or ``phrase`` here, and the next reply follows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from extract import Extraction, Intent, find_amounts

# From this confidence on, a reply is worded like the first (confident) example.
HIGH_CONFIDENCE = 0.75


def phrase(result: Extraction, answer: str) -> str:
    """What the document says, in a few words: "the invoice total is $154.08"."""
    kind = result.kind
    match result.intent:
        case Intent.BILL_TO:
            return (
                f"{answer} is being invoiced"
                if kind == "invoice"
                else f"the {kind} is for {answer}"
            )
        case Intent.VENDOR:
            return f"the {kind} is from {answer}"
        case Intent.TOTAL:
            return f"the {kind} total is {answer}"
        case Intent.SUBTOTAL:
            return f"the subtotal is {answer}"
        case Intent.TAX:
            return f"the tax is {answer}"
        case Intent.DUE_DATE:
            return f"the {kind} is due on {answer}"
        case Intent.NUMBER:
            return f"the {kind} number is {answer}"
        case Intent.DATE:
            return f"the {kind} is dated {answer}"
        case Intent.TIME:
            return f"the time on the {kind} is {answer}"
        case _:  # a label of the document the question named ("Who was the cashier?")
            label = result.label or "answer"
            label = label if label.isupper() else label.lower()
            if find_amounts(answer):
                return f"{label} comes to {answer}"
            verb = "are" if label.endswith("s") and not label.endswith("ss") else "is"
            return f"the {label} {verb} {answer}"


@dataclass(frozen=True)
class Frame:
    """The words of an example reply around its answer, and between its two answers."""

    before: str
    between: str = "or"
    after: str = ""


# The article's example replies, for a system message that has none.
SURE = Frame("With a high degree of confidence, I can say")
UNSURE = Frame("I believe", "but it can also be")

_EXAMPLE = re.compile(
    r'Question:\s*"(?P<question>[^"\n]*)"[^\n]*?answer:(?P<answers>[^\n]*)'
    r"\s*You should respond with something like:[ \t]*\n\s*(?P<reply>[^\n]+)",
    re.IGNORECASE,
)


def frames(system_message: str) -> tuple[Frame, Frame]:
    """The confident and the less certain frame, from the system message's examples."""
    found = [
        _frame(match["question"], match["answers"], match["reply"])
        for match in _EXAMPLE.finditer(system_message)
    ]
    sure = found[0] if found else None
    unsure = found[1] if len(found) > 1 else None
    return sure or SURE, unsure or UNSURE


def _key(word: str) -> str:
    return re.sub(r"\W", "", word.lower())


def _frame(question: str, answers_text: str, reply: str) -> Frame | None:
    """Split an example reply around the phrase that gives its answer.

    "I believe the invoice total is $154.08 but it can also be $155." for the question
    "What is the invoice total?" and the answers 154.08 and 155: the phrase is the first
    answer with the question's words next to it ("the invoice total is $154.08").
    """
    answers = [a.split() for a in re.findall(r'"answer"\s*:\s*"([^"]+)"', answers_text)]
    words = reply.split()
    keys = [_key(word) for word in words]
    asked = {_key(word) for word in question.split()}
    if not answers or _key(answers[0][0]) not in keys:
        return None
    start = keys.index(_key(answers[0][0]))
    end = start + len(answers[0]) - 1
    while start > 0 and keys[start - 1] in asked:
        start -= 1
    while end + 1 < len(words) and keys[end + 1] in asked:
        end += 1
    between = ""
    if len(answers) > 1 and _key(answers[1][0]) in keys[end + 1 :]:
        second = keys.index(_key(answers[1][0]), end + 1)
        between = " ".join(words[end + 1 : second])
        end = second + len(answers[1]) - 1
    after = " ".join(words[end + 1 :])
    return Frame(" ".join(words[:start]), between or "or", after)


def compose_reply(
    result: Extraction, system_message: str = "", pages_note: str = "", page_count: int = 1
) -> str:
    """A short reply worded like the system message's examples."""
    best = result.best
    if best is None:
        reply = (
            "I couldn't find the answer to that in this document; try asking about the total, "
            "the date, the invoice number, who is invoiced or who issued it."
        )
    else:
        sure, unsure = frames(system_message)
        frame = sure if best.confidence >= HIGH_CONFIDENCE else unsure
        reply = phrase(result, best.answer)
        alternatives = [c.answer for c in result.candidates[1:] if c.confidence >= 0.1]
        if frame is unsure and alternatives:
            reply += f" {frame.between} {' or '.join(alternatives)}"
        reply = f"{frame.before} {reply}" if frame.before else reply[:1].upper() + reply[1:]
        reply = reply.rstrip(".") + "." + (f" {frame.after}" if frame.after else "")
        if page_count > 1:
            reply += f" (Found on page {best.page + 1}.)"
    if pages_note:
        reply += f"\n\n_{pages_note}_"
    return reply
