"""Photos attached to complaints: checked, cleaned and kept in the data folder.

A photo is accepted when its bytes (not its name, not the browser's word for its type) are
a JPEG or a PNG of at most `MAX_BYTES` that Pillow can decode, of at most `MAX_PIXELS`.
It is then turned upright (the EXIF orientation a phone writes), scaled to at most
`MAX_SIDE` pixels a side and re-encoded as a JPEG: the copy kept has no metadata at all (no
GPS position, no camera serial, no embedded thumbnail), and nothing the sender hid in the
file (a script after the image data, a second format) survives.

Photos live in `<data>/photos/`, outside anything the web server serves; only signed-in
staff get one, through a route that checks who may see its complaint. Names are 128 random
bits, so a name never says what or whose it is. Decoding takes tens of milliseconds, so it
runs in a worker thread, never on the event loop, and at most `DECODERS` at a time (a
12-megapixel photo takes about 150 MB while it is decoded); a JPEG is decoded at the
smallest scale that still gives `MAX_SIDE` (its `draft` mode), which is also faster.
"""

from __future__ import annotations

import asyncio
import io
import os
import re
import secrets
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

MAX_BYTES = 2 * 1024 * 1024
MAX_PIXELS = 40_000_000  # a 48 MP phone camera is 8000 x 6000; far beyond is a bomb
MAX_SIDE = 2048
DECODERS = 2
JPEG = b"\xff\xd8\xff"
PNG = b"\x89PNG\r\n\x1a\n"
_NAME = re.compile(r"[0-9a-f]{32}\.jpg")


class PhotoRefused(Exception):
    """Why a photo was not accepted: `code` is "too_large", "not_image" or "damaged"."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def sniff(data: bytes) -> str | None:
    """ "jpeg" or "png" from the file's first bytes, else None."""
    if data.startswith(JPEG):
        return "jpeg"
    if data.startswith(PNG):
        return "png"
    return None


def clean(data: bytes) -> bytes:
    """The photo re-encoded without metadata, upright and at most `MAX_SIDE` a side; or
    `PhotoRefused`."""
    if len(data) > MAX_BYTES:
        raise PhotoRefused("too_large")
    kind = sniff(data)
    if kind is None:
        raise PhotoRefused("not_image")
    try:
        with Image.open(io.BytesIO(data), formats=[kind.upper()]) as image:
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise PhotoRefused("too_large")
            if kind == "jpeg":
                image.draft("RGB", (MAX_SIDE, MAX_SIDE))
            image.load()
            upright = ImageOps.exif_transpose(image)
            if upright.mode.startswith("I"):
                # 16-bit greys (a scanner's PNG): to 8 bits, not clipped to white.
                upright = upright.point(lambda v: v / 256).convert("L")
            upright.thumbnail((MAX_SIDE, MAX_SIDE))
            if upright.mode != "RGB":
                # Transparent PNGs on white, as they would look printed.
                background = Image.new("RGB", upright.size, "white")
                rgba = upright.convert("RGBA")
                background.paste(rgba, mask=rgba.getchannel("A"))
                upright = background
            out = io.BytesIO()
            upright.save(out, "JPEG", quality=85, optimize=True)
            return out.getvalue()
    except Image.DecompressionBombError:
        raise PhotoRefused("too_large") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise PhotoRefused("damaged") from None


class PhotoStore:
    """The photos folder: `save` a cleaned photo, `read` one back by name."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._decoding = asyncio.Semaphore(DECODERS)

    async def save(self, data: bytes) -> str:
        """Clean `data` (in a thread) and keep it; its new name. `PhotoRefused` if unfit."""
        async with self._decoding:
            cleaned = await asyncio.to_thread(clean, data)
        name = f"{secrets.token_hex(16)}.jpg"
        await asyncio.to_thread(self._write, name, cleaned)
        return name

    def _write(self, name: str, data: bytes) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        partial = self.folder / f".{name}.part"
        with open(partial, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        partial.replace(self.folder / name)

    async def delete(self, name: str) -> None:
        """Forget a photo no report holds (its report was refused)."""
        if _NAME.fullmatch(name):
            await asyncio.to_thread((self.folder / name).unlink, missing_ok=True)

    async def read(self, name: str) -> bytes | None:
        """The photo called `name`, or None for a name we never gave or a missing file."""
        if not _NAME.fullmatch(name):
            return None
        path = self.folder / name
        try:
            return await asyncio.to_thread(path.read_bytes)
        except OSError:
            return None
