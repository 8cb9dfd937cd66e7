"""Provider mode: many pods behind one server, each at its own address, administered apart."""

from __future__ import annotations

import datetime as dt
import io
import json
import tarfile

import sqlalchemy as sa

from pds.store.tables import metadata
from tests.conftest import PASSWORD
from tests.provider.provider_setup import ADMIN_TOKEN, admin, new_pod, owner_of, vendor_granted

PROFILE = b'<#me> a <https://schema.org/Person> ; <https://schema.org/name> "Alex" .'
TURTLE = {"Content-Type": "text/turtle"}


def test_each_pod_has_its_own_address_identity_and_keys(provider):
    alice, bob = new_pod(provider, "http://pods.test"), new_pod(provider, "http://pods.test")
    client = provider.session()
    a = client.get(f"{alice['url']}/.well-known/pds-configuration").json()
    b = client.get(f"{bob['url']}/.well-known/pds-configuration").json()
    assert a["issuer"] == alice["url"] == f"http://pods.test/{alice['name']}"
    assert b["issuer"] == bob["url"]
    assert a["data_endpoint"] == f"{alice['url']}/data/"
    keys_a = client.get(a["jwks_uri"]).json()["keys"]
    keys_b = client.get(b["jwks_uri"]).json()["keys"]
    assert {k["kid"] for k in keys_a}.isdisjoint({k["kid"] for k in keys_b})


def test_addresses_that_name_no_pod_are_refused(provider):
    client = provider.session()
    for url in (
        "http://pods.test/nobody-here/.well-known/pds-configuration",
        "http://pods.test/",
        "http://other.test/x/.well-known/pds-configuration",
        "http://pods.test/Upper/owner",
    ):
        answer = client.get(url)
        assert answer.status_code == 404, url
        assert answer.headers["Content-Type"] == "application/problem+json"


def test_pods_at_host_names(by_host):
    pod = new_pod(by_host, "http://pods.test")
    assert pod["url"] == f"http://{pod['name']}.pods.test"
    client = by_host.session()
    found = client.get(f"{pod['url']}/.well-known/pds-configuration")
    assert found.status_code == 200 and found.json()["issuer"] == pod["url"]
    # The same with the port spelled out, and in capitals: one host for HTTP.
    loud = client.get(f"http://{pod['name'].upper()}.PODS.TEST:80/.well-known/pds-configuration")
    assert loud.status_code == 200, loud.text
    for host in (f"{pod['name']}.pods.test.evil", f"x.{pod['name']}.pods.test", "pods.test"):
        assert client.get(f"http://{host}/.well-known/pds-configuration").status_code == 404
    # The admin API is the provider's: never at a pod's address.
    at_pod = admin(by_host.session()).get(f"{pod['url']}/admin/pods")
    assert at_pod.status_code == 404


def test_one_pods_credentials_never_work_on_another(provider):
    alice, bob = new_pod(provider, "http://pods.test"), new_pod(provider, "http://pods.test")
    alice_owner = owner_of(provider, alice)
    assert alice_owner.put(f"{alice['url']}/data/profile", data=PROFILE, headers=TURTLE).ok
    # Alice's API token at Bob's pod.
    assert alice_owner.get(f"{bob['url']}/data/").status_code == 401
    assert alice_owner.put(f"{bob['url']}/data/x", data=PROFILE, headers=TURTLE).status_code == 401
    # Alice's password and setup code at Bob's pod.
    client = provider.session()
    assert client.get(f"{bob['url']}/owner/tokens", auth=("owner", PASSWORD)).status_code in (
        401,
        409,
    )
    taken = client.post(
        f"{bob['url']}/owner/claim", json={"setup_code": alice["setup_code"], "password": "x" * 20}
    )
    assert taken.status_code == 403
    # Alice's page session at Bob's pod: the cookie is scoped to her path, and not honoured
    # if sent there by hand.
    browser = provider.session()
    page = browser.get(f"{alice['url']}/app/sign-in")
    token = _csrf(page.text)
    signed = browser.post(
        f"{alice['url']}/app/sign-in",
        data={"password": PASSWORD, "csrf_token": token},
        allow_redirects=False,
    )
    assert signed.status_code in (302, 303), signed.text
    cookie = browser.cookies.get_dict()["pds_session"]
    assert next(iter(browser.cookies)).path == f"/{alice['name']}"
    assert browser.get(f"{alice['url']}/app/", allow_redirects=False).status_code == 200
    stolen = provider.session()
    at_bob = stolen.get(
        f"{bob['url']}/app/", headers={"Cookie": f"pds_session={cookie}"}, allow_redirects=False
    )
    assert at_bob.status_code == 302 and "/sign-in" in at_bob.headers["Location"]


def _csrf(html: str) -> str:
    marker = 'name="csrf_token" value="'
    return html.split(marker, 1)[1].split('"', 1)[0]


def test_a_grant_of_one_pod_is_refused_by_another(provider):
    from vendor_client import GrantError, PodClient

    alice, bob = new_pod(provider, "http://pods.test"), new_pod(provider, "http://pods.test")
    vendor, grant = vendor_granted(alice, owner_of(provider, alice), provider.session())
    assert "Alex" in vendor.read("/profile", grant).serialize(format="turtle")
    elsewhere = PodClient(bob["url"], vendor.key, session=provider.session())
    try:
        elsewhere.read("/profile", grant)
    except GrantError:
        pass
    else:
        raise AssertionError("Alice's grant was honoured by Bob's pod")


def test_admin_api_needs_its_own_credential(provider):
    client = provider.session()
    assert client.get("http://pods.test/admin/pods").status_code == 401
    wrong = client.get(
        "http://pods.test/admin/pods", headers={"Authorization": "Bearer " + "x" * 40}
    )
    assert wrong.status_code == 401 and "Bearer" in wrong.headers["WWW-Authenticate"]
    pod = new_pod(provider, "http://pods.test")
    owner = owner_of(provider, pod)
    # A pod owner's token is no admin credential, and the admin token no owner's.
    assert owner.get("http://pods.test/admin/pods").status_code == 401
    as_admin = admin(provider.session())
    assert as_admin.get(f"{pod['url']}/data/").status_code == 401
    assert as_admin.get(f"{pod['url']}/owner/tokens").status_code == 401


def test_names_are_checked(provider):
    client = admin(provider.session())
    for name in ("Alice", "-x", "x-", "a_b", "admin", "metrics", "a" * 64, "a/b", "", "é"):
        answer = client.post("http://pods.test/admin/pods", json={"name": name})
        assert answer.status_code == 422, (name, answer.text)
    pod = new_pod(provider, "http://pods.test")
    again = client.post("http://pods.test/admin/pods", json={"name": pod["name"]})
    assert again.status_code == 409


def test_suspend_and_resume(provider):
    pod = new_pod(provider, "http://pods.test")
    owner = owner_of(provider, pod)
    assert owner.put(f"{pod['url']}/data/profile", data=PROFILE, headers=TURTLE).ok
    client = admin(provider.session())
    suspended = client.post(f"http://pods.test/admin/pods/{pod['name']}/suspend")
    assert suspended.status_code == 200 and suspended.json()["suspended_at"]
    refused = owner.get(f"{pod['url']}/data/profile")
    assert refused.status_code == 403
    assert refused.json()["type"].endswith("#pod-suspended")
    page = provider.session().get(f"{pod['url']}/app/", headers={"Accept": "text/html"})
    assert page.status_code == 403 and "suspended" in page.text
    assert page.headers["Content-Type"].startswith("text/html")
    assert client.post(f"http://pods.test/admin/pods/{pod['name']}/resume").status_code == 200
    back = owner.get(f"{pod['url']}/data/profile")
    assert back.status_code == 200 and "Alex" in back.text


def test_export_gives_the_pods_archive(provider):
    pod = new_pod(provider, "http://pods.test")
    owner = owner_of(provider, pod)
    assert owner.put(f"{pod['url']}/data/profile", data=PROFILE, headers=TURTLE).ok
    exported = admin(provider.session()).get(f"http://pods.test/admin/pods/{pod['name']}/export")
    assert exported.status_code == 200
    assert exported.headers["Content-Type"] == "application/gzip"
    with tarfile.open(fileobj=io.BytesIO(exported.content), mode="r:gz") as archive:
        documents = archive.extractfile("resources.trig").read().decode()  # type: ignore[union-attr]
        manifest = json.load(archive.extractfile("manifest.json"))  # type: ignore[arg-type]
    assert '"Alex"' in documents
    assert manifest["pod"] == {"id": pod["name"], "base_url": pod["url"]}


def test_deleting_a_pod_deletes_everything_of_it(provider, store):
    pod = new_pod(provider, "http://pods.test")
    other = new_pod(provider, "http://pods.test")
    owner = owner_of(provider, pod)
    assert owner.put(f"{pod['url']}/data/profile", data=PROFILE, headers=TURTLE).ok
    assert (
        owner_of(provider, other)
        .put(f"{other['url']}/data/profile", data=PROFILE, headers=TURTLE)
        .ok
    )
    before = _rows_of(store, pod["name"])
    assert before["resources"] and before["audit_events"] and before["signing_keys"]
    assert before["api_tokens"]
    client = admin(provider.session())
    deleted = client.delete(f"http://pods.test/admin/pods/{pod['name']}")
    assert deleted.status_code == 200, deleted.text
    assert all(count == 0 for count in _rows_of(store, pod["name"]).values())
    assert client.get(f"http://pods.test/admin/pods/{pod['name']}").status_code == 404
    assert owner.get(f"{pod['url']}/data/profile").status_code == 404
    assert all(_rows_of(store, other["name"])[t] for t in ("resources", "signing_keys"))
    # A new pod of the same name honours nothing of the old one.
    again = client.post("http://pods.test/admin/pods", json={"name": pod["name"]})
    assert again.status_code == 201
    assert owner.get(f"{pod['url']}/data/").status_code == 401
    assert client.get(f"http://pods.test/admin/pods/{pod['name']}").json()["claimed"] is False


def _rows_of(store, name: str) -> dict[str, int]:
    with store.read() as conn:
        counts = {
            table.name: conn.execute(
                sa.select(sa.func.count()).select_from(table).where(table.c.pod_id == name)
            ).scalar_one()
            for table in metadata.sorted_tables
            if table.name != "pods"
        }
        counts["pods"] = conn.execute(
            sa.text("SELECT count(*) FROM pods WHERE id = :id"), {"id": name}
        ).scalar_one()
    return counts


def test_storage_quota(provider):
    pod = new_pod(provider, "http://pods.test", quota_bytes=2000)
    assert pod["quota_bytes"] == 2000
    owner = owner_of(provider, pod)
    small = owner.put(f"{pod['url']}/data/profile", data=PROFILE, headers=TURTLE)
    assert small.status_code == 201, small.text
    big = b"<#me> <https://schema.org/description> " + b'"' + b"x" * 3000 + b'" .'
    refused = owner.put(f"{pod['url']}/data/notes", data=big, headers=TURTLE)
    assert refused.status_code == 507, refused.text
    assert refused.json()["type"].endswith("#quota-exceeded")
    assert owner.get(f"{pod['url']}/data/notes").status_code == 404  # nothing written
    shown = admin(provider.session()).get(f"http://pods.test/admin/pods/{pod['name']}").json()
    assert 0 < shown["used_bytes"] < 2000
    raised = admin(provider.session()).patch(
        f"http://pods.test/admin/pods/{pod['name']}", json={"quota_bytes": 100_000}
    )
    assert raised.status_code == 200 and raised.json()["quota_bytes"] == 100_000
    assert owner.put(f"{pod['url']}/data/notes", data=big, headers=TURTLE).status_code == 201


def test_admin_lists_pods_and_pages(provider):
    made = {new_pod(provider, "http://pods.test")["name"] for _ in range(3)}
    listed = admin(provider.session()).get("http://pods.test/admin/pods").json()["pods"]
    assert made <= {p["name"] for p in listed}
    assert ADMIN_TOKEN not in json.dumps(listed)


def test_notifications_of_every_pod_are_delivered_signed_by_their_pod(store, tmp_path):
    import jwt

    from tests.protocol.conftest import CallbackInbox
    from tests.provider.conftest import PATHS
    from tests.provider.provider_setup import ProviderServer
    from vendor_client import PodClient, VendorKey

    server = ProviderServer(store, tmp_path, PATHS, allow_private_callbacks=True)
    inbox = CallbackInbox()
    try:
        pod = new_pod(server, "http://pods.test")
        owner = owner_of(server, pod)
        assert owner.put(f"{pod['url']}/data/profile", data=PROFILE, headers=TURTLE).ok
        vendor = PodClient(pod["url"], VendorKey.generate(), session=server.session())
        pending = vendor.request_access(
            [{"resource": "/profile", "modes": ["read"]}],
            purpose="https://w3id.org/dpv#ServiceProvision",
            description="to be told",
            duration=dt.timedelta(days=1),
            vendor={"name": "Shop"},
            callback=inbox.url,
        )
        assert owner.post(f"{pod['url']}/owner/access-requests/{pending.id}/approve").ok
        grant = pending.wait(timeout=5)
        assert owner.post(f"{pod['url']}/owner/grants/{grant.id}/revoke").ok
        _type, body = inbox.wait_for(
            lambda item: "Revoke" in str(jwt.decode(item[1], options={"verify_signature": False}))
        )
        claims = jwt.decode(body, options={"verify_signature": False})
        assert claims["iss"] == pod["url"]
        keys = server.session().get(f"{pod['url']}/.well-known/jwks.json").json()["keys"]
        header = jwt.get_unverified_header(body)
        assert header["kid"] in {k["kid"] for k in keys}
    finally:
        inbox.httpd.shutdown()
        inbox.httpd.server_close()
        server.stop()
