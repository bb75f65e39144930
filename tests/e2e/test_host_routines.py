"""A practitioner's routine file in the host's folder is offered on the page; a bad one is left out with a
line in the server's log, not on the page. So is the host's hint for an empty sample gallery."""

import numpy as np

from .harness import (APP, choose_mode, chromium_context, loopback_network_namespace, press_continue, streamlit_server,
                      wait_for, write_y4m)

WRISTS = 'title = "Wrists for Mrs Lee"\nsource = "my clinic"\n[[steps]]\npoint = "PC6"\nhands = "left"\nseconds = 30\n'
BAD = 'title = "broken"\nsource = "x"\n[[steps]]\npoint = "XX9"\nseconds = 5\n'


def test_the_hosts_routine_files_are_offered_and_a_bad_one_is_left_out(tmp_path):
    folder = tmp_path / "routines"
    folder.mkdir()
    (folder / "wrists.toml").write_text(WRISTS)
    (folder / "broken.toml").write_text(BAD)
    y4m = write_y4m(tmp_path / "still.y4m", [np.zeros((480, 640, 3), np.uint8)], seconds=0.2)
    with loopback_network_namespace(), \
            streamlit_server(APP, env={"LOCATOR_ROUTINES_DIR": str(folder), "LOCATOR_SAMPLES_DIR": ""},
                             log_dir=tmp_path) as server, \
            chromium_context(y4m) as context:
        page = context.new_page()
        page.goto(server.url)
        press_continue(page)
        page.get_by_role("combobox", name="Routine").click(timeout=30_000)
        options = page.get_by_role("option")
        options.first.wait_for(timeout=10_000)
        titles = options.all_inner_texts()
        assert "Wrists for Mrs Lee" in titles and "30-second rescue" in titles and "broken" not in titles
        options.get_by_text("Wrists for Mrs Lee").click()
        picker = page.get_by_role("combobox", name="Routine")
        assert wait_for(page, lambda: picker.input_value() == "Wrists for Mrs Lee", 30)
        assert "broken.toml, line 4: step 1: unknown point 'XX9'" in server.log()
        assert str(folder) not in page.content()

        # No sample folder configured: the visitor is told to upload instead; how to fill it is the host's.
        choose_mode(page, "Photo")
        page.get_by_role("tab", name="Sample photos").click(timeout=30_000)
        page.get_by_text("No sample photos here: upload a photo or take a snapshot instead.").wait_for(timeout=30_000)
        assert "LOCATOR_SAMPLES_DIR" not in page.content()
        assert wait_for(page, lambda: "locator: no sample photos: set LOCATOR_SAMPLES_DIR" in server.log(), 10)
