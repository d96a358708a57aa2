"""Hot reload that cannot break traffic (#27 item 4) and that follows imports (#36 item 3): a policy
with no rules, or one refusing the facts a client key sets, is refused with the old one serving;
an edit to any imported file reloads, under the same refusal rules."""
import time

import httpx
import pytest

from gateway_harness import RunningGateway, save as edit, until
from policylang.gateway import GatewayConfig
from policylang.gateway.auth import Client, hash_key

CATALOG = """
fact tier: enum {{free, pro}} = free
provider oa {{ adapter = openai base_url = "{url}/v1" api_key = env("FAKE_OA_KEY") default = oa-1 }}
model oa-1 {{ provider = oa id = "gpt-fake"   input = 1 output = 2 }}
model oa-2 {{ provider = oa id = "gpt-fake-2" input = 1 output = 2 }}
"""
MAIN = 'import "lib.policy"\npaid: when tier == pro route oa-2\ndefault route oa-1\n'
BODY = {"model": "auto", "messages": [{"role": "user", "content": "hi"}]}
PRO = [Client("team", hash_key("sk-team"), {"tier": "pro"})]


@pytest.fixture
def files(tmp_path, fake, monkeypatch):
    monkeypatch.setenv("FAKE_OA_KEY", "sk-test-openai-0123456789abcdef")
    fake.clear()
    (tmp_path / "lib.policy").write_text(CATALOG.format(url=fake.url))
    (tmp_path / "main.policy").write_text(MAIN)
    return tmp_path


def served(gw) -> tuple[int, str]:
    """(generation, the model that answers key team)."""
    r = httpx.post(gw.url + "/v1/chat/completions", json=BODY, headers={"authorization": "Bearer sk-team"},
                   timeout=10)
    assert r.status_code == 200, r.text
    return httpx.get(gw.url + "/readyz", timeout=5).json()["generation"], r.headers["x-policylang-model"]


def refusals(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith("policy reload refused")]


@pytest.mark.parametrize("text", ["", "import std\n", "# rules come later\nimport \"lib.policy\"\n"],
                         ids=["empty", "only-std", "only-imports"])
def test_a_policy_with_no_rules_is_refused_and_the_old_one_serves(files, caplog, text):
    with RunningGateway(GatewayConfig(policy=str(files / "main.policy"), keys=PRO, reload_interval=0.05)) as gw:
        assert served(gw) == (1, "oa-2")
        edit(files / "main.policy", text)
        assert until(lambda: refusals(caplog), 10)
        (said,) = refusals(caplog)
        assert said.startswith("policy reload refused (file changed): it has no rules: every request would go "
                               "unrouted; ")
        assert said.endswith("; still serving generation 1")
        assert served(gw) == (1, "oa-2")
        assert httpx.get(gw.url + "/readyz", timeout=5).status_code == 200
        assert gw.reload() is False  # SIGHUP's path refuses it alike


@pytest.mark.parametrize("lib, why", [
    ("fact plan: enum {{free, pro}} = free", "unknown fact `tier`"),
    ("fact tier: enum {{free, gold}} = free", 'fact `tier` must be one of free, gold; got "pro"'),
], ids=["undeclared", "narrowed"])
def test_a_policy_refusing_a_keys_facts_is_refused(files, fake, caplog, lib, why):
    with RunningGateway(GatewayConfig(policy=str(files / "main.policy"), keys=PRO, reload_interval=0.05)) as gw:
        assert served(gw) == (1, "oa-2")
        # the edit is in the imported file, the main file's rule no longer mentions tier
        edit(files / "main.policy", 'import "lib.policy"\ndefault route oa-1\n')
        assert until(lambda: served(gw) == (2, "oa-1"), 10)
        edit(files / "lib.policy", CATALOG.replace("fact tier: enum {{free, pro}} = free", lib).format(url=fake.url))
        assert until(lambda: refusals(caplog), 10)
        (said,) = refusals(caplog)
        assert said == (f"policy reload refused (file changed): key `team` sets facts it does not accept ({why}): "
                        "every request of that key would be refused; still serving generation 2")
        assert served(gw) == (2, "oa-1")


def test_an_edit_to_an_imported_file_reloads(files, fake):
    with RunningGateway(GatewayConfig(policy=str(files / "main.policy"), keys=PRO, reload_interval=0.05)) as gw:
        assert served(gw) == (1, "oa-2")
        sha = httpx.get(gw.url + "/readyz", timeout=5).json()["policy_sha256"]
        edit(files / "lib.policy", CATALOG.replace('"gpt-fake-2"', '"gpt-fake-3"').format(url=fake.url))
        assert until(lambda: served(gw)[0] == 2, 10)
        assert fake.requests[-1].body["model"] == "gpt-fake-3"  # the imported file's new model id
        assert httpx.get(gw.url + "/readyz", timeout=5).json()["policy_sha256"] != sha


def test_an_imported_file_with_errors_is_refused_and_its_fix_reloads(files, fake, caplog):
    with RunningGateway(GatewayConfig(policy=str(files / "main.policy"), keys=PRO, reload_interval=0.05)) as gw:
        lib = files / "lib.policy"
        edit(lib, CATALOG.replace("input = 1 output = 2 }}\nmodel oa-2", "input = 1 output = }}\nmodel oa-2")
             .format(url=fake.url))
        assert until(lambda: refusals(caplog), 10)
        assert "error(s); still serving generation 1" in refusals(caplog)[0]
        assert str(lib) in refusals(caplog)[0]  # the error is shown where it is, in the import
        assert served(gw) == (1, "oa-2")
        edit(lib, CATALOG.replace('"gpt-fake-2"', '"gpt-fake-4"').format(url=fake.url))
        assert until(lambda: served(gw)[0] == 2, 10)
        assert fake.requests[-1].body["model"] == "gpt-fake-4"


def test_a_new_import_is_watched_from_the_reload_that_adds_it(files, fake):
    with RunningGateway(GatewayConfig(policy=str(files / "main.policy"), keys=PRO, reload_interval=0.05)) as gw:
        (files / "extra.policy").write_text('model oa-9 { provider = oa id = "gpt-fake-9" }\n')
        edit(files / "main.policy", 'import "lib.policy"\nimport "extra.policy"\n'
                                    'paid: when tier == pro route oa-9\ndefault route oa-1\n')
        assert until(lambda: served(gw) == (2, "oa-9"), 10)
        edit(files / "extra.policy", 'model oa-9 { provider = oa id = "gpt-fake-10" }\n')
        assert until(lambda: served(gw)[0] == 3, 10)
        assert fake.requests[-1].body["model"] == "gpt-fake-10"


def test_an_edit_saved_while_the_gateway_loads_is_reloaded(files, fake, monkeypatch):
    """An edit saved while `serve` reads the policy at startup (here: saved just after the loader
    read the files) is a change: the first poll reloads it, rather than taking the edit's
    mtime for the text that was loaded and waiting for the next edit."""
    import policylang.gateway.reload as reload_module

    real_load = reload_module.load

    def load_then_edit(path):
        policy = real_load(path)
        edit(files / "lib.policy", CATALOG.replace('"gpt-fake-2"', '"gpt-fake-5"').format(url=fake.url))
        monkeypatch.setattr(reload_module, "load", real_load)
        return policy

    monkeypatch.setattr(reload_module, "load", load_then_edit)
    with RunningGateway(GatewayConfig(policy=str(files / "main.policy"), keys=PRO, reload_interval=0.05)) as gw:
        assert until(lambda: served(gw)[0] == 2, 10)
        assert fake.requests[-1].body["model"] == "gpt-fake-5"
        time.sleep(0.3)  # and only once: the reloaded text is the text on disk
        assert served(gw)[0] == 2
