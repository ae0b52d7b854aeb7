"""Run events → A2A artifact updates, as tokens arrive.

Each AI message becomes one artifact (its id is the message id). Chunks are held back by one so
that the last chunk of a message can carry `lastChunk: true`: the first chunk sent creates the
artifact (`append: false`), the following ones append to it.
"""

from __future__ import annotations

from typing import Any

from interop.a2a.model import Artifact, ArtifactUpdate, Part
from interop.a2a.translate import content_parts, is_ai


class ArtifactChunker:
    def __init__(self, task_id: str, context_id: str) -> None:
        self.task_id = task_id
        self.context_id = context_id
        self.sent: set[str] = set()
        self._held: tuple[str, list[Part], bool] | None = None

    def _update(
        self, artifact_id: str, parts: list[Part], append: bool, last: bool
    ) -> ArtifactUpdate:
        return ArtifactUpdate(
            task_id=self.task_id,
            context_id=self.context_id,
            artifact=Artifact(artifact_id=artifact_id, parts=parts),
            append=append,
            last_chunk=last,
        )

    def feed(self, message: Any) -> list[ArtifactUpdate]:
        """Updates ready to send after `message` (a serialized LangChain message or chunk)."""
        if not is_ai(message):
            return []
        parts = content_parts(message.get("content"))
        if not parts:
            return []
        artifact_id = str(message.get("id") or f"{self.task_id}-response")
        out: list[ArtifactUpdate] = []
        if self._held is not None and self._held[0] != artifact_id:
            out.extend(self.finish())
        if message.get("type") != "AIMessageChunk":
            if artifact_id not in self.sent:
                self.sent.add(artifact_id)
                out.append(self._update(artifact_id, parts, False, True))
            return out
        if self._held is not None:
            held_id, held_parts, held_append = self._held
            out.append(self._update(held_id, held_parts, held_append, False))
        self._held = (artifact_id, parts, artifact_id in self.sent)
        self.sent.add(artifact_id)
        return out

    def finish(self) -> list[ArtifactUpdate]:
        """The held chunk, marked last."""
        if self._held is None:
            return []
        held_id, held_parts, held_append = self._held
        self._held = None
        return [self._update(held_id, held_parts, held_append, True)]
