"""Plausibility limits of input data, checked where the data enters.

A value beyond these limits is not a bigger instance of real work but a
mistake in a file or an argument (a frame number 2,000,000,000, a box
1e300 pixels wide): readers refuse it with a message naming the file and row
before any memory or time is spent on it. Each limit is far from any real
MOTChallenge or video data; ``docs/guarantees.md`` lists them for users.
"""
from __future__ import annotations

import numpy as np

#: Largest frame number (and ``seqLength``): MOTChallenge names images with six
#: digits (``000001.jpg`` ... ``999999.jpg``); 9.2 hours at 30 fps.
MAX_FRAME = 999_999
#: Largest absolute box coordinate, width or height in pixels (500 times a 4K frame).
MAX_COORDINATE = 1e6
#: Smallest box width and height in pixels the tracker accepts: below it the
#: Kalman filter's position variances (proportional to the squared height)
#: lose their precision.
MIN_BOX_SIZE = 1e-2
#: Largest side of a drawn frame or video in pixels (the largest the MPEG-4
#: and H.264 encoders accept; an 8K UHD frame is 7680 x 4320).
MAX_VIDEO_SIDE = 8192
#: Largest absolute track id or class id (int32 range).
MAX_ID = 2**31 - 1
#: Largest image width or height in seqinfo.ini (JPEG stores sizes in 16 bits).
MAX_IMAGE_SIDE = 65535
#: Largest absolute descriptor value: squaring it stays finite in float32,
#: the tracker's descriptor dtype, for descriptors of up to 2**20 dimensions
#: (the cosine distance normalises by the Euclidean norm).
MAX_DESCRIPTOR_VALUE = float(np.sqrt(np.finfo(np.float32).max / 2**20))
