"""Routines as files: the shipped ones reproduce the routines the page had in code, new ones follow the
seed material, a bad file is refused with its line and problem, and safety still rules."""

from importlib import resources
from pathlib import Path

import pytest

from locator.catalogue import BY_CODE, CATALOGUE
from locator.errors import RoutineFileError
from locator.cli import main
from locator.routine_files import PRESETS, builtin_routines, load_routine, offered_routines, parse_routine
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


def shipped_rescue() -> Path:
    return next(Path(str(p)) for p in resources.files("locator.routines").iterdir() if p.name.endswith("rescue.toml"))


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
    shipped = shipped_rescue()
    copy = tmp_path / "my-rescue.toml"
    copy.write_text(shipped.read_text().replace('seconds = 15', 'seconds = 20', 1))
    mine = load_routine(copy)
    assert expand(mine.entries)[0].hold_seconds == 20
    with pytest.raises(RoutineFileError, match="no such routine file"):
        load_routine(tmp_path / "missing.toml")


def test_the_hosts_folder_adds_its_routines_and_leaves_out_bad_ones_one_line_each(tmp_path):
    (tmp_path / "a-wrists.toml").write_text(
        'title = "wrists"\nsource = "my clinic"\n[[steps]]\npoint = "PC6"\nhands = "left"\nseconds = 30\n')
    (tmp_path / "b-bad.toml").write_text(list(BAD)[0])
    (tmp_path / "c-again.toml").write_text(
        'title = "30-second rescue"\nsource = "a copy"\n[[steps]]\npoint = "PC8"\nseconds = 5\n')
    routines, problems = offered_routines({"LOCATOR_ROUTINES_DIR": str(tmp_path)})
    assert list(routines)[:len(builtin_routines())] == list(builtin_routines())
    assert routines["wrists"].entries[0]["point"] == "PC6"
    assert routines["30-second rescue"].path.endswith("rescue.toml")  # the shipped one stays
    assert len(problems) == 2 and "b-bad.toml, line 8: step 2: unknown point 'XX9'" in problems[0]
    assert "c-again.toml" in problems[1] and "is taken by" in problems[1]
    assert offered_routines({"LOCATOR_ROUTINES_DIR": str(tmp_path / "none")})[1] == [
        f"LOCATOR_ROUTINES_DIR: no such folder {tmp_path / 'none'}"]
    assert offered_routines({}) == (builtin_routines(), [])


def test_the_routine_command_prints_the_steps_and_names_each_bad_file(tmp_path, capsys):
    good = shipped_rescue()
    bad = tmp_path / "bad.toml"
    bad.write_text(list(BAD)[0])
    assert main(["routine", str(good), str(bad), str(tmp_path / "missing.toml")]) == 1
    out, err = capsys.readouterr()
    assert '"30-second rescue", 6 steps, 60 s' in out and "6. Stretch the fingers, right hand: 7 s" in out
    assert err.splitlines() == [f"locator: error: {bad}, line 8: step 2: unknown point 'XX9' "
                                f"(python -m locator points lists them)",
                                f"locator: error: {tmp_path / 'missing.toml'}: no such routine file",
                                "2 of 3 routine files could not be used"]
    assert main(["routine", str(good)]) == 0


def test_the_points_command_lists_every_code_a_routine_file_may_use(capsys):
    assert main(["points"]) == 0
    codes = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    assert codes == [point.code for point in CATALOGUE]
