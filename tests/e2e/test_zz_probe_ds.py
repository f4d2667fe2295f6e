import re, time
from tests.e2e.conftest import *
from tests.e2e.test_upload import create_project, open_upload_tab, upload

def test_probe(page, base_url):
    pid = create_project(page, base_url, f"probe {time.time()}")
    goto(page, base_url, f"/Data?project={pid}")
    t=time.monotonic(); click_key(page, "load_sample"); print("load", time.monotonic()-t)
    keys = page.evaluate("() => [...document.querySelectorAll('[class*=st-key-remove_step_]')].map(e => [...e.classList].find(c => c.startsWith('st-key-')))")
    print(keys)
    rawid = keys[0].split("_")[2]
    select_option(page, f"add_op_{rawid}", "Drop columns")
    ms = page.locator(f".st-key-drop_columns_{rawid}_cols")
    print(ms.inner_html()[:5000])
