"""Images of any shape within the limits, 1x20000 strips and 1x1 pixels included, go through
every inference path (letterbox, resized, tiled, stretched views) without an error: each
resize keeps every side at least 1 px, and the boxes come back inside the image."""
import numpy as np
from hypothesis import example, given, settings
from hypothesis import strategies as st

from mmdet_ext.inference.detector import predict_letterboxed
from mmdet_ext.inference.preprocess import PreprocessSpec
from projects.tbank_logo.service.pipeline import detect
from projects.tbank_logo.service.settings import ServiceSettings

SPEC = PreprocessSpec(input_size=(320, 320))


class LetterboxedDouble:
    """A detector double on the real preprocessing: the network is replaced by one box over the
    middle of its input, so every letterbox, resize and tile of the image is exercised."""
    input_size, score_thr, tile_size = SPEC.input_size, 0.5, 320

    @staticmethod
    def runtime(batch):
        assert batch.shape[1:] == (3, 320, 320), batch.shape
        return [np.array([[100, 100, 220, 220, 0.9]], np.float32)] * len(batch)

    def predict_batch_raw(self, images):
        return predict_letterboxed(self.runtime, images, SPEC)

    def predict_raw(self, image):
        return self.predict_batch_raw([image])[0]


@settings(max_examples=60, deadline=None)
@given(width=st.integers(1, 20000), height=st.integers(1, 20000), stretch=st.booleans())
@example(width=20000, height=1, stretch=True)
@example(width=1, height=20000, stretch=False)
@example(width=1601, height=3, stretch=True)
@example(width=161, height=1, stretch=False)
@example(width=1, height=1, stretch=True)
def test_every_shape_gets_an_answer_inside_the_image(width, height, stretch):
    if width * height > 4_000_000:  # the extremes of each side are kept, the area bounded
        height = max(1, 4_000_000 // width)
    image = np.full((height, width, 3), 128, np.uint8)
    settings_ = ServiceSettings(stretch=2.0 if stretch else None)
    outcome = detect(LetterboxedDouble(), image, settings_, score_thr=0.5)
    boxes = outcome.detections.boxes
    assert outcome.path in ('full', 'resized', 'tiled')
    assert (boxes[:, [0, 2]] <= width).all() and (boxes[:, [1, 3]] <= height).all()
    assert (boxes >= 0).all()
