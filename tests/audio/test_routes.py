"""The announcement endpoint of a running server: a call's WAV, cached, with clear errors."""

from __future__ import annotations

import io
import wave

import httpx

from tests.conftest import LiveServer


class TestAnnouncementEndpoint:
    """Displays fetch `/audio/call/<counter>/<ticket>.wav` for each call they show."""

    def test_a_call_is_a_playable_wav_that_browsers_may_cache(
        self, live_server: LiveServer
    ) -> None:
        with httpx.Client(base_url=live_server.url, timeout=30) as client:
            first = client.get("/audio/call/3/A-007.wav")
            assert first.status_code == 200 and first.headers["content-type"] == "audio/wav"
            # Kept and revalidated: a clip recorded in the studio changes what it says.
            assert first.headers["cache-control"] == "no-cache"
            with wave.open(io.BytesIO(first.content)) as wav:
                assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, 22050)
                assert 2.0 < wav.getnframes() / wav.getframerate() < 12.0
            again = client.get(
                "/audio/call/3/A-007.wav", headers={"If-None-Match": first.headers["etag"]}
            )
            assert again.status_code == 304
            recall = client.get("/audio/call/3/A-007.wav?recall=1")
            assert recall.headers["etag"] != first.headers["etag"] and len(recall.content) > len(
                first.content
            )

    def test_bad_requests_get_a_sentence(self, live_server: LiveServer) -> None:
        for path in ("/audio/call/999/A-007.wav", "/audio/call/3/not-a-ticket.wav"):
            answer = httpx.get(f"{live_server.url}{path}")
            # The one refusal shape every JSON endpoint answers with.
            assert answer.status_code == 404 and answer.json() == {
                "ok": False,
                "code": "no_announcement",
                "message": "Pengumuman tidak ditemukan.",
            }
        english = httpx.get(f"{live_server.url}/audio/call/999/A-007.wav?lang=en")
        assert english.json()["message"] == "No such announcement."
