"""Human in the loop: a run's `interrupt()` as MCP input requests, and the answers as resume values.

An interrupt value is read in one of three forms:

- **native single**: `{"method": "elicitation/create" | "sampling/createMessage" | "roots/list",
  "params": {...}, "key": "optional name"}`: asked as is; the run resumes with the client's
  result object as the client sent it (`{"action": "accept", "content": {...}}`, a sampling
  result, a roots list), declines included.
- **native multiple**: `{"inputRequests": {key: {"method": ..., "params": ...}, ...}}`: asked
  together; the run resumes with `{key: result}`.
- **anything else** (`{"question": "...", "schema": {...}}`, a string, any JSON): asked as a
  form elicitation whose message is the question (or the value as JSON). The value's `schema`,
  when it is a form MCP can show (an object schema whose properties are strings, numbers,
  integers, booleans or enums), is the form, and the run resumes with the accepted content as
  is (`{"approved": true}`): the answer has the shape the agent asked for. Without one, the
  form is one free-text field `answer` and the run resumes with that string. A declined or
  cancelled question leaves the run waiting: the caller can still answer later with
  `thread_id` and `resume`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from interop.core import serde

ELICIT = "elicitation/create"
SAMPLE = "sampling/createMessage"
ROOTS = "roots/list"
NATIVE_METHODS = frozenset({ELICIT, SAMPLE, ROOTS})
ANSWER = "answer"
SCHEMA_KEY = "schema"
_PRIMITIVES = frozenset({"string", "number", "integer", "boolean"})
DEFAULT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {ANSWER: {"type": "string", "description": "Your answer."}},
    "required": [ANSWER],
}


@dataclass(slots=True)
class Question:
    """One input request: `key` names it in `inputRequests` and `inputResponses`."""

    key: str
    method: str
    params: dict[str, Any]

    def wire(self) -> dict[str, Any]:
        request: dict[str, Any] = {"method": self.method}
        if self.method != ROOTS or self.params:
            request["params"] = self.params
        return request


@dataclass(slots=True)
class Ask:
    """What one interrupt asks, and how its answers become the run's resume value."""

    interrupt_id: str
    questions: list[Question]
    native: bool
    multiple: bool
    default_schema: bool = False
    summary: str = ""
    value: Any = None

    def resume_value(self, answers: dict[str, dict[str, Any]]) -> tuple[bool, Any]:
        """(True, value) when `answers` (key → client result) let the run go on."""
        if self.multiple:
            if any(q.key not in answers for q in self.questions):
                return False, None
            return True, {q.key: answers[q.key] for q in self.questions}
        question = self.questions[0]
        answer = answers.get(question.key)
        if answer is None:
            return False, None
        if self.native:
            return True, answer
        if answer.get("action") != "accept":
            return False, None
        content = answer.get("content") or {}
        if self.default_schema and isinstance(content, dict) and ANSWER in content:
            return True, content[ANSWER]
        return True, content


@dataclass(slots=True)
class Plan:
    """Every open interrupt of a run, as questions."""

    asks: list[Ask] = field(default_factory=list)

    @property
    def questions(self) -> list[Question]:
        return [q for ask in self.asks for q in ask.questions]

    def summary(self) -> str:
        return "; ".join(ask.summary for ask in self.asks if ask.summary)


def _question_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        for key in ("question", "message", "prompt", "text"):
            text = value.get(key)
            if isinstance(text, str) and text:
                return text
    return "The agent needs input: " + serde.dumps(value).decode()


def form_schema(value: Any) -> dict[str, Any] | None:
    """The interrupt value's `schema` when MCP can show it as a form (a flat object schema of
    primitive or enum properties, as elicitation's `requestedSchema` allows), else None."""
    schema = value.get(SCHEMA_KEY) if isinstance(value, dict) else None
    if not isinstance(schema, dict) or schema.get("type") != "object":
        return None
    properties = schema.get("properties")
    if not isinstance(properties, dict) or not properties:
        return None
    for prop in properties.values():
        if not isinstance(prop, dict):
            return None
        kind = prop.get("type")
        if kind == "array":
            items = prop.get("items")
            if not isinstance(items, dict) or not ("enum" in items or "anyOf" in items):
                return None
        elif kind not in _PRIMITIVES:
            return None
    return schema


def ask_for(interrupt: dict[str, Any]) -> Ask:
    """The questions one interrupt record (`{"id", "value"}`) asks."""
    interrupt_id = str(interrupt.get("id") or "interrupt")
    value = interrupt.get("value")
    if isinstance(value, dict) and isinstance(value.get("inputRequests"), dict):
        questions = [
            Question(str(key), str(req["method"]), dict(req.get("params") or {}))
            for key, req in value["inputRequests"].items()
            if isinstance(req, dict) and req.get("method") in NATIVE_METHODS
        ]
        summary = ", ".join(q.method for q in questions)
        return Ask(
            interrupt_id, questions, native=True, multiple=True, summary=summary, value=value
        )
    if isinstance(value, dict) and value.get("method") in NATIVE_METHODS:
        params = dict(value.get("params") or {})
        key = value.get("key")
        question = Question(str(key) if key else interrupt_id, str(value["method"]), params)
        summary = str(params.get("message") or value["method"])
        return Ask(
            interrupt_id, [question], native=True, multiple=False, summary=summary, value=value
        )
    schema = form_schema(value)
    message = _question_text(value)
    params = {
        "mode": "form",
        "message": message,
        "requestedSchema": schema if schema is not None else DEFAULT_SCHEMA,
    }
    return Ask(
        interrupt_id,
        [Question(interrupt_id, ELICIT, params)],
        native=False,
        multiple=False,
        default_schema=schema is None,
        summary=message,
        value=value,
    )


def plan_for(interrupts: list[dict[str, Any]]) -> Plan:
    return Plan([ask_for(i) for i in interrupts if isinstance(i, dict)])


def supported(method: str, capabilities: Any) -> bool:
    """Whether a client with `capabilities` (a ClientCapabilities model or None) can answer."""
    if capabilities is None:
        return False
    if method == ELICIT:
        return getattr(capabilities, "elicitation", None) is not None
    if method == SAMPLE:
        return getattr(capabilities, "sampling", None) is not None
    if method == ROOTS:
        return getattr(capabilities, "roots", None) is not None
    return False


def askable(plan: Plan, capabilities: Any) -> Plan:
    """The part of `plan` the client can answer: questions it has no capability for are left out,
    and so are interrupts left with no question."""
    asks = []
    for ask in plan.asks:
        kept = [q for q in ask.questions if supported(q.method, capabilities)]
        if kept:
            asks.append(
                Ask(
                    ask.interrupt_id,
                    kept,
                    ask.native,
                    ask.multiple,
                    ask.default_schema,
                    ask.summary,
                    ask.value,
                )
            )
    return Plan(asks)


def resume_command(plan: Plan, answers: dict[str, dict[str, Any]]) -> dict[str, Any] | None:
    """The resume command when `answers` settle every interrupt of `plan`, else None.

    One interrupt resumes with its value; several with `{interrupt_id: value}`."""
    values: dict[str, Any] = {}
    for ask in plan.asks:
        ok, value = ask.resume_value(answers)
        if not ok:
            return None
        values[ask.interrupt_id] = value
    if not values:
        return None
    if len(values) == 1:
        return {"resume": next(iter(values.values()))}
    return {"resume": values}


def waiting_text(plan: Plan, thread_id: str) -> str:
    """What a client that cannot be asked reads: the question and how to answer it."""
    question = plan.summary() or "The agent is waiting for input."
    return (
        f"The agent is waiting for input: {question}\n"
        f'To answer, call this tool again with "thread_id": "{thread_id}" and "resume": '
        "<your answer>."
    )
