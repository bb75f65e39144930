"""Routines as files: the shipped ones reproduce the routines the page had in code, new ones follow the
seed material, a bad file is refused with its line and problem, and safety still rules."""

from pathlib import Path

import pytest

from locator.catalogue import BY_CODE
from locator.errors import RoutineFileError
from locator.routine_files import PRESETS, builtin_routines, load_routine, parse_routine
from locator.safety import allowed_steps
from locator.steps import FINGER_WEBS, expand

HEGU_HOW = ("Press firmly with the other thumb between the thumb and index-finger bones of your {hand} hand, "
            "fingers underneath; hold steady")
# The two routines as they were written in code before they became files (locator/steps.py, before).
IN_CODE_BEFORE = {
    "30-second rescue": (
        {"point": "PC8", "hands": "both", "seconds": 15,
         "how": "With the other thumb, rub vigorously in circles in the centre of your {hand} palm"},
        {"point": "LI4", "hands": "both", "seconds": 8, "how": HEGU_HOW},
        {"action": "stretch", "hands": "both", "seconds": 7},
    ),
    "full routine": (
        {"point": "PC8", "hands": "both", "seconds": 20,
         "how": "With the other thumb, knead gently to moderately in small circles in the centre of your "
                "{hand} palm"},
        {"point": "LI4", "hands": "both", "seconds": 15, "how": HEGU_HOW},
        {"points": list(FINGER_WEBS), "hands": "both", "seconds": 8,
         "how": "Pinch this web of your {hand} hand with the other thumb and index finger and knead it, "
                "moderate pressure"},
        {"action": "joints", "hands": "both", "seconds": 20},
        {"action": "stretch", "hands": "both", "seconds": 15},
    ),
}


@pytest.mark.parametrize("title", sorted(IN_CODE_BEFORE))
def test_the_shipped_files_give_the_same_steps_as_the_routines_in_code(title):
    assert expand(PRESETS[title]) == expand(IN_CODE_BEFORE[title])


def test_new_routines_follow_the_seed_material_with_modest_words():
    routines = builtin_routines()
    assert len(routines) >= 4
    typing = expand(routines["typing break: wrists and forearms"].entries)
    back = expand(routines["after the waist massage: back of the hand"].entries)
    assert {"PC7", "PC6", "HT7", "LU9"} <= {step.target for step in typing}
    assert {"EX-UE7-1", "EX-UE7-2"} <= {step.target for step in back}
    for routine in routines.values():
        assert routine.source
        for step in expand(routine.entries):
            assert step.hand in ("left", "right") and step.hold_seconds > 0
            text = step.instruction.lower() + " ".join(step.cautions).lower()
            assert "cure" not in text and "heal" not in text and "treat" not in text


def test_safety_still_rules_whatever_a_file_says():
    routine = parse_routine('title = "Hegu only"\nsource = "test"\n[[steps]]\npoint = "LI4"\nhands = "left"\n'
                            'seconds = 10\n[[steps]]\npoint = "PC8"\nhands = "left"\nseconds = 10\n', "hegu.toml")
    steps, notes = allowed_steps(expand(routine.entries), pregnant=True)
    assert [step.target for step in steps] == ["PC8"] and "pregnancy" in notes[0]
    assert "pregnancy" in BY_CODE["LI4"].contraindications


BAD = {
    'title = "x"\nsource = "y"\n[[steps]]\npoint = "LI4"\nseconds = 10\n\n[[steps]]\npoint = "XX9"\nseconds = 5\n':
        "bad.toml, line 8: step 2: unknown point 'XX9'",
    'title = "x"\nsource = "y"\n[[steps]]\naction = "stretch"\nhands = "both"\nseconds = -3\n':
        "bad.toml, line 6: step 1: 'seconds' must be a number",
    'title = "x"\nsource = "y"\n[[steps]]\naction = "dance"\nseconds = 3\n':
        "bad.toml, line 4: step 1: unknown action 'dance'",
    'title = "x"\nsource = "y"\n[[steps]]\npoint = "PC8"\nhands = "middle"\nseconds = 3\n':
        "bad.toml, line 5: step 1: 'hands' must be one of both, left, right",
    'title = "x"\n[[steps]]\npoint = "PC8"\nseconds = 3\n': "bad.toml, line 1: needs a 'source' (text)",
    'title = "x"\nsource = "y"\n[[steps]\npoint = "PC8"\n': "bad.toml: not valid TOML",
}


@pytest.mark.parametrize("text", BAD)
def test_a_bad_file_is_refused_with_its_line_and_problem(text):
    with pytest.raises(RoutineFileError) as error:
        parse_routine(text, "bad.toml")
    assert str(error.value).startswith(BAD[text]) and "\n" not in str(error.value)


def test_a_practitioner_can_copy_a_file_and_load_it(tmp_path):
    shipped = next(Path(str(p)) for p in __import__("importlib.resources").resources.files("locator.routines").iterdir()
                   if p.name.endswith("rescue.toml"))
    copy = tmp_path / "my-rescue.toml"
    copy.write_text(shipped.read_text().replace('seconds = 15', 'seconds = 20', 1))
    mine = load_routine(copy)
    assert expand(mine.entries)[0].hold_seconds == 20
    with pytest.raises(RoutineFileError, match="no such routine file"):
        load_routine(tmp_path / "missing.toml")
