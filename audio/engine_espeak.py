"""espeak-ng through its command line: offline, always installed, the guaranteed fallback."""

from __future__ import annotations

import functools
import shutil
import subprocess
import tempfile
from pathlib import Path

from audio.engines import EngineError, EngineUnavailable
from audio.wording import Clip

__all__ = ["EspeakEngine"]


class EspeakEngine:
    """`espeak-ng -v id`, slowed a little: announcements are heard across a noisy hall."""

    name = "espeak"
    local = True
    finished = False

    def __init__(self, *, voice: str = "id", words_per_minute: int = 150, timeout: float = 15.0):
        self.voice = voice
        self.words_per_minute = words_per_minute
        self.timeout = timeout

    def identity(self, clip: Clip) -> str | None:
        version = _version()
        if not clip.text or version is None:
            return None
        return f"espeak-ng|{version}|{self.voice}|{self.words_per_minute}|{clip.text}"

    def render(self, clip: Clip) -> bytes:
        executable = shutil.which("espeak-ng")
        if executable is None:
            raise EngineUnavailable("espeak-ng is not installed (apt-get install espeak-ng)")
        # espeak-ng's --stdout header carries no length; -w writes a complete WAV.
        with tempfile.TemporaryDirectory(prefix="antrean-espeak-") as folder:
            out = Path(folder) / "clip.wav"
            self._run([executable, "-v", self.voice, "-s", str(self.words_per_minute)], out, clip)
            return out.read_bytes()

    def _run(self, command: list[str], out: Path, clip: Clip) -> None:
        # The text goes in on stdin, so a text starting with "-" is never read as an option.
        try:
            subprocess.run(
                [*command, "-w", str(out)],
                input=clip.text.encode(),
                capture_output=True,
                timeout=self.timeout,
                check=True,
            )
        except subprocess.CalledProcessError as error:
            stderr = error.stderr.decode(errors="replace").strip()
            raise EngineError(f"espeak-ng failed on {clip.key!r}: {stderr}") from error
        except subprocess.TimeoutExpired as error:
            raise EngineError(f"espeak-ng took over {self.timeout} s on {clip.key!r}") from error


@functools.cache
def _version() -> str | None:
    """espeak-ng's version ("1.51"), read once per process; None when it is not installed."""
    executable = shutil.which("espeak-ng")
    if executable is None:
        return None
    output = subprocess.run(
        [executable, "--version"], capture_output=True, text=True, timeout=10, check=False
    ).stdout
    # "eSpeak NG text-to-speech: 1.51  Data at: ..."
    words = output.split(":", 1)[-1].split()
    return words[0] if words else "unknown"
