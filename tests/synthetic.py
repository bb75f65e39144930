"""A synthetic hand for tests that need landmarks without the model."""

import numpy as np


def right_palm_landmarks() -> np.ndarray:
    """A plausible right palm seen unmirrored, fingers up, thumb on the image's right."""
    left_looking = np.array([
        [0, 0], [-35, -20], [-60, -50], [-75, -80], [-85, -105],      # wrist, thumb
        [-30, -100], [-35, -140], [-37, -165], [-38, -185],           # index
        [-5, -105], [-5, -150], [-5, -178], [-5, -200],               # middle
        [18, -100], [20, -140], [21, -165], [22, -185],               # ring
        [38, -90], [44, -120], [47, -140], [49, -158],                # little
    ], dtype=float)
    return left_looking * (-1, 1) + (320, 400)
