"""Indonesian voice announcements: wording, engines, the clip cache and the joiner.

    wording.py         a call -> clip keys and caption ("Nomor antrean, A, tujuh, ...")
    engines.py         the engine interface; engine_recorded/gtts/espeak/tone.py beside it
    pcm.py             the one clip format and the normalization into it
    cache.py           content-addressed, atomically written WAV files
    library.py         ClipLibrary: render_vocabulary ahead of time, announcement at call time
    cli.py             `antrean render-audio`

Nothing here runs on the call path's critical section but `ClipLibrary.announcement`, which
only reads and joins cached clips.
"""
