"""Per labelled hand, each web's cross-validated error with the rule alone and with the web margin cue
(the option chosen inside each fold, as ``locator evaluate`` measures it), and the cue the fit chooses
on all hands: which hands the cue helps and which it hurts.

    PYTHONPATH=. python tools/web_margin_hands.py --labels ../shared/hands/acupoints-dev.json \\
        --images ../shared/hands/images [--all]

Without ``--all`` only the hands whose error changes by more than 0.015 hand sizes, or crosses 0.10,
are listed.
"""

import argparse
from pathlib import Path

from locator.catalogue import FAMILIES
from locator.cli import _photo_locator, photo_options
from locator.detector import HandDetector
from locator.evaluate import labelled_hands, load_label_files, sample
from locator.fitting import fit_point, summarise
from locator.image_cues import CUE_OPTIONS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--labels", type=Path, nargs="+", required=True)
    parser.add_argument("--images", type=Path, required=True)
    parser.add_argument("--all", action="store_true", help="list every hand")
    args = parser.parse_args()
    with HandDetector(photo_options(None)) as detector:
        found = [(name, label, sample(group, label, hand)) for name, group, label, hand
                 in labelled_hands(load_label_files(args.labels), args.images, _photo_locator(detector))
                 if hand is not None]
    samples = [s for _, _, s in found]
    for code, options in CUE_OPTIONS.items():
        # fit_point scores the samples that mark the point, in this order
        marked = [(name, label) for name, label, s in found if code in s.targets]
        alone = fit_point(code, FAMILIES[code], samples)
        cued = fit_point(code, FAMILIES[code], samples, options)
        print(f"{code}: chosen on all hands: {cued.option.name if cued.option else 'no cue'}")
        for title, point in (("rule alone", alone), ("with the cue", cued)):
            figures = summarise(point.cross_validated)
            print(f"  {title:<13} PCK@0.10 {figures['pck@0.10']:.3f}  median {figures['median']:.4f}")
        for (name, label), before, after in zip(marked, alone.cross_validated, cued.cross_validated):
            if args.all or abs(after - before) > 0.015 or (before > 0.10) != (after > 0.10):
                print(f"    {name:<26}{label['facing']:<6}{before:.3f} -> {after:.3f}")


if __name__ == "__main__":
    main()
