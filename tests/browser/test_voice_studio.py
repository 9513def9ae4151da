"""The recording studio in Chromium with a fake microphone: a manager records a clip, hears
the preview made with it, and the hall display's next call plays it.

Chromium's fake capture device plays a WAV file as the microphone (`--use-file-for-fake-
audio-capture`, once, `%noloop`): a second of room hiss, "nomor antrean" spoken quietly,
then hiss again, as a person recording at a desk would give.
"""

from __future__ import annotations

import io
import subprocess
import wave
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from playwright.async_api import Browser, Page, Response, expect

from audio.guide import speakable
from audio.pcm import GAP_SECONDS, RATE, dbfs
from server.config import DEMO_VENUE, load_venue
from tests.browser.conftest import CHROMIUM_FLAGS, artifact
from tests.browser.helpers import Console, SignIn, sign_in_page
from tests.browser.test_player import played, speaker_display
from tests.conftest import LiveServer

TOTAL = len(speakable(load_venue(DEMO_VENUE)))


@pytest.fixture
def microphone(tmp_path: Path) -> Path:
    """What the fake microphone hears: 1 s of hiss, the words at about -37 dBFS, 2 s more."""
    said = subprocess.run(
        ["espeak-ng", "-v", "id", "--stdout", "nomor antrean"], capture_output=True, check=True
    ).stdout
    with wave.open(io.BytesIO(said)) as read:
        voice = np.frombuffer(read.readframes(read.getnframes()), dtype=np.int16) * 0.15
        rate = read.getframerate()
    rng = np.random.default_rng(7)
    samples = np.concatenate(
        [rng.normal(0, 8, rate), voice + rng.normal(0, 8, voice.size), rng.normal(0, 8, 2 * rate)]
    )
    path = tmp_path / "microphone.wav"
    with wave.open(str(path), "wb") as write:
        write.setnchannels(1)
        write.setsampwidth(2)
        write.setframerate(rate)
        write.writeframes(samples.astype(np.int16).tobytes())
    return path


@pytest.fixture
def chromium_flags(microphone: Path) -> list[str]:
    return [
        *CHROMIUM_FLAGS,
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-audio-capture={microphone}%noloop",
    ]


def frames(wav_data: bytes) -> bytes:
    with wave.open(io.BytesIO(wav_data)) as read:
        assert (read.getnchannels(), read.getframerate()) == (1, RATE)
        return bytes(read.readframes(read.getnframes()))


async def studio_page(browser: Browser, server: LiveServer) -> Page:
    context = await browser.new_context(
        viewport={"width": 1400, "height": 900}, locale="id-ID", permissions=["microphone"]
    )
    page = await sign_in_page(context, f"{server.url}/login?next=/manager/voice", "manajer")
    await expect(page.locator("#progress-text")).to_have_text(f"0 dari {TOTAL} terekam")
    return page


class TestStudio:
    async def test_record_a_clip_hear_it_in_the_preview_and_in_the_hall(
        self, browser: Browser, live_server: LiveServer, sign_in: SignIn
    ) -> None:
        display, _ = await speaker_display(await browser.new_context(), live_server)
        studio = await studio_page(browser, live_server)
        errors: list[str] = []
        studio.on("pageerror", lambda error: errors.append(str(error)))
        await expect(studio.locator("#no-mic")).to_be_hidden()  # 127.0.0.1 is a secure context
        await studio.screenshot(path=artifact("voice-studio.png"), full_page=False)

        row = studio.locator("#clip-nomor_antrean")
        await expect(row.locator(".clip-text")).to_have_text("Nomor antrean")
        await expect(row.locator("[data-f=state]")).to_have_text("Suara sintesis")
        record = row.get_by_role("button", name="Rekam: Nomor antrean")
        await record.click()
        await expect(row.locator("[data-f=result]")).to_contain_text("Merekam…")
        await expect(row).to_have_class("clip recording")
        # The words end about 2 s into the file: stop a little after, as a person would.
        await studio.wait_for_timeout(3200)
        async with studio.expect_response(
            lambda r: r.url.endswith("/manager/voice/clips/nomor_antrean")
        ) as sent:
            await record.click()
        answer: dict[str, Any] = await (await sent.value).json()
        assert answer["ok"], answer
        await expect(row.locator("[data-f=result]")).to_contain_text("Tersimpan")
        await expect(row.locator("[data-f=state]")).to_have_text("✓ Terekam")
        await expect(studio.locator("#progress-text")).to_have_text(f"1 dari {TOTAL} terekam")
        await studio.screenshot(path=artifact("voice-studio-recorded.png"))

        # Trimmed and matched, measured on the stored take: the hiss before and after the
        # words is gone, and they are at the clips' -20 dBFS, from about -37 as recorded.
        stored = await studio.context.request.get(f"{live_server.url}{answer['take']['audio']}")
        take = frames(await stored.body())
        words = np.frombuffer(take, dtype=np.int16)[: -int(RATE * GAP_SECONDS)]
        assert (
            answer["recorded_seconds"] > 2.5
            and words.size / RATE < answer["recorded_seconds"] - 1.5
        )
        assert abs(dbfs(words) + 20) < 1.0, dbfs(words)
        assert dbfs(words[: RATE // 50]) > -45, "speech from the first 20 ms"

        # The preview announcement is made with it; the rest stays synthetic.
        await studio.get_by_label("Nomor antrean", exact=True).fill("B-12")
        async with studio.expect_response(lambda r: "/manager/voice/preview.wav" in r.url) as heard:
            await studio.get_by_role("button", name="Dengar pratinjau").click()
        assert take in frames(await (await heard.value).body())
        await expect(studio.locator("#preview-result")).to_contain_text(
            "Dari rekaman: Nomor antrean. Suara sintesis:"
        )

        # The hall display's next call plays it.
        officer: Console = await sign_in(live_server, "loket1")
        await officer.send(type="open_counter", counter="1")
        await officer.issue("ktp")

        def is_call(response: Response) -> bool:
            return "/audio/call/" in response.url

        async with display.expect_response(is_call) as fetched:
            await officer.send(type="call_next", counter="1")
        assert take in frames(await (await fetched.value).body())
        log = await played(display, 1)
        assert log[0]["status"] == "played", log
        assert errors == []

    async def test_a_recording_of_silence_is_refused_and_nothing_changes(
        self, browser: Browser, live_server: LiveServer
    ) -> None:
        studio = await studio_page(browser, live_server)
        row = studio.locator("#clip-huruf_a")
        record = row.get_by_role("button", name="Rekam: a")
        # The fake microphone's file is played once: stopped at once, nothing but hiss.
        await record.click()
        await expect(row.locator("[data-f=result]")).to_contain_text("Merekam…")
        await studio.wait_for_timeout(400)
        await record.click()
        await expect(row.locator("[data-f=result]")).to_contain_text("tanpa suara")
        await expect(row.locator("[data-f=state]")).to_have_text("Suara sintesis")
        await expect(studio.locator("#progress-text")).to_have_text(f"0 dari {TOTAL} terekam")

    async def test_recording_another_clip_ends_the_first_and_keeps_the_second(
        self, browser: Browser, live_server: LiveServer
    ) -> None:
        studio = await studio_page(browser, live_server)
        first, second = studio.locator("#clip-huruf_a"), studio.locator("#clip-nomor_antrean")
        # A double press while the microphone is asked for counts once.
        await first.get_by_role("button", name="Rekam: a").dblclick()
        await expect(first.locator("[data-f=result]")).to_contain_text("Merekam…")
        await studio.wait_for_timeout(300)
        # R on another clip: the first one stops (only hiss so far: refused), the second
        # records on, with its own timer, and is kept when stopped.
        await second.get_by_role("button", name="Rekam: Nomor antrean").focus()
        await studio.keyboard.press("r")
        await expect(second.locator("[data-f=result]")).to_contain_text("Merekam…")
        await expect(first.locator("[data-f=result]")).to_contain_text("tanpa suara")
        await expect(first).not_to_have_class("clip recording")
        await studio.wait_for_timeout(2900)
        await expect(second).to_have_class("clip recording")
        await studio.keyboard.press("r")
        await expect(second.locator("[data-f=result]")).to_contain_text("Tersimpan")
        await expect(second.locator("[data-f=state]")).to_have_text("✓ Terekam")
        await expect(studio.locator("#progress-text")).to_have_text(f"1 dari {TOTAL} terekam")
        # N: on to the next clip not recorded yet.
        await studio.keyboard.press("n")
        focused = await studio.evaluate("document.activeElement.closest('.clip').dataset.key")
        assert focused == "panggilan_ulang"

    async def test_over_plain_http_on_the_lan_it_says_how_to_get_a_microphone(
        self, browser: Browser, live_server: LiveServer
    ) -> None:
        # A LAN name over http is not a secure context: no microphone, the upload remains.
        context = await browser.new_context(locale="id-ID")
        await context.add_init_script(
            "Object.defineProperty(window, 'isSecureContext', {value: false})"
        )
        page = await sign_in_page(
            context, f"{live_server.url}/login?next=/manager/voice", "manajer"
        )
        await expect(page.locator("#no-mic")).to_be_visible()
        await expect(page.locator("#no-mic")).to_contain_text("HTTPS")
        await expect(page.locator("#clip-huruf_a [data-act=record]")).to_be_disabled()
        await expect(page.locator("#clip-huruf_a").get_by_text("Unggah berkas")).to_be_visible()
        await page.screenshot(path=artifact("voice-studio-no-mic.png"))
