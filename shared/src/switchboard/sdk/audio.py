"""Audio chunks between the microphone, the app and the UI's player."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ("InputAudioChunk", "OutputAudioChunk")


@dataclass
class InputAudioChunk:
    """What ``on_audio_chunk`` gets: PCM16 from the browser's recorder."""

    isStart: bool
    mimeType: str
    elapsedTime: float
    data: bytes


@dataclass
class OutputAudioChunk:
    """What ``context.emitter.send_audio_chunk`` plays in the UI."""

    track: str
    mimeType: str
    data: bytes
