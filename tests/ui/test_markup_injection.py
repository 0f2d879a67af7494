"""Names a client or key holder chooses (key alias, team alias, tags, end-user
id, metadata) are shown escaped on every /ui page: a key holder cannot plant
script in an admin's browser."""
from __future__ import annotations

from tests.keys.helpers import admin, generate_key
from tests.ui.spend_cast import call, unique, wait_for_logs

PAYLOAD = '<img src=x onerror="alert(1)">'


def test_markup_in_names_is_escaped_on_every_page(ui_gateway, admin_ui):
    team = admin(ui_gateway, "/team/new", {"team_alias": f"{PAYLOAD}{unique('team')}"}).json()
    key = generate_key(ui_gateway, key_alias=f"{PAYLOAD}{unique('key')}", team_id=team["team_id"])
    request_id = call(ui_gateway, key["key"], tags=[PAYLOAD], metadata={"note": PAYLOAD})
    wait_for_logs(ui_gateway, key["token"], 1)

    pages = ["/ui/keys/virtualkey/", f"/ui/keys/virtualkey/?q={key['key_alias'][-12:]}", "/ui/keys/team/",
             "/ui/spend/?by=key", "/ui/spend/?by=team", "/ui/spend/?by=tag", "/ui/logs/",
             f"/ui/logs/{request_id}/", "/ui/keys/auditentry/"]
    for path in pages:
        page = admin_ui.get(path)
        assert page.status_code == 200, path
        assert PAYLOAD not in page.text, f"{path} shows the name unescaped"
    assert "&lt;img src=x" in admin_ui.get("/ui/keys/virtualkey/").text  # shown, as text
