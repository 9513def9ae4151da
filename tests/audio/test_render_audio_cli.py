"""`antrean render-audio`: renders the venue's clips with a progress bar and a summary."""

from __future__ import annotations

from pathlib import Path

import pytest

from audio.cli import render_audio_main
from audio.guide import PHRASES, speakable
from server.config import DEMO_VENUE, load_venue


class TestRenderAudio:
    """The command renders, reports per engine, and is instant the second time."""

    def test_renders_the_demo_venue_with_espeak(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Every clip is rendered (exit 0); stderr shows the bar, stdout the table."""
        argv = ["--venue", str(DEMO_VENUE), "--cache", str(tmp_path), "--engines", "espeak"]
        demo = load_venue(DEMO_VENUE)
        # The 76 clips of calls, the guidance's phrases and one name per service.
        total = 76 + len(PHRASES) + len(demo.services)
        assert len(speakable(demo)) == total
        assert render_audio_main(argv) == 0
        out, err = capsys.readouterr()
        assert f"[##############################] {total:4d}/{total}" in err
        assert _row(out, "espeak") == ["espeak", str(total - 1), "0", "0"]
        assert _row(out, "tone") == ["tone", "1", "0", "0"]
        assert render_audio_main(argv) == 0
        assert _row(capsys.readouterr().out, "espeak") == ["espeak", "0", str(total - 1), "0"]

    def test_recorded_without_a_folder_is_skipped(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """The default engine list works without --recorded: recordings are simply absent."""
        recorded = tmp_path / "rec"
        recorded.mkdir()
        argv = ["--cache", str(tmp_path / "c"), "--engines", "recorded,espeak"]
        assert render_audio_main([*argv, "--recorded", str(recorded)]) == 0
        assert _row(capsys.readouterr().out, "recorded") == ["recorded", "0", "0", "0"]

    def test_unknown_engine_is_refused(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A misspelt engine name exits 2, naming the valid ones."""
        with pytest.raises(SystemExit) as exit:
            render_audio_main(["--cache", str(tmp_path), "--engines", "espek"])
        assert exit.value.code == 2
        assert "choose from recorded, gtts, espeak" in capsys.readouterr().err

    def test_bad_venue_file_is_reported(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A venue file that does not load exits 2 with the config error."""
        venue = tmp_path / "venue.toml"
        venue.write_text("[venue\n")
        assert render_audio_main(["--venue", str(venue), "--cache", str(tmp_path)]) == 2
        assert "venue.toml" in capsys.readouterr().err


def _row(table: str, engine: str) -> list[str]:
    return next(line.split() for line in table.splitlines() if line.startswith(engine + " "))
