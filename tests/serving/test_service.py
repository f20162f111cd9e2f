"""The prediction API as a real uvicorn process (tests/serving/conftest.py): every endpoint, 401/404/422/413,
canary share and stickiness, shadow scoring, the prediction log, live reload of aliases and of the online
store under load, requests while the pipeline rebuilds the warehouse."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Callable

import httpx
import pytest

from emporium.engine import connect, fetch_all
from ml import registry
from ml.features import CHURN_FEATURES
from ml.online_store import OnlineStore
from tests.serving.conftest import CANARY_SHARE, Server

CHURN = "/customers/{}/churn"


def store_customers(server: Server) -> tuple[list[int], list[int]]:
    """(customers with history, customers without an order or a session) of the online store."""
    features = OnlineStore(server.settings.ml.online_store_path).features()
    quiet = features["days_since_last_order"].isna() & features["days_since_last_session"].isna()
    return features.loc[~quiet, "customer_id"].tolist(), features.loc[quiet, "customer_id"].tolist()


def log_rows(server: Server, where: str = "1 = 1", params: tuple = ()) -> list[sqlite3.Row]:
    connection = sqlite3.connect(server.settings.serving.prediction_log_path)
    connection.row_factory = sqlite3.Row
    try:
        return connection.execute(f"select * from predictions where {where} order by id", params).fetchall()
    finally:
        connection.close()


def wait_for(condition: Callable[[], bool], seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return condition()


def test_health_is_public_and_reports_the_loaded_versions(server: Server) -> None:
    body = httpx.get(f"{server.url}/health").json()
    assert body["status"] == "ready"
    assert (body["champion"], body["challenger"]) == ("1", "2")
    assert (
        body["features_as_of"] == OnlineStore(server.settings.ml.online_store_path).meta()["features_as_of"]
    )


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/customers/1/churn"), ("GET", "/customers/1/recommendations"), ("POST", "/predict/churn"),
     ("GET", "/metrics")],
)  # fmt: skip
def test_every_data_endpoint_needs_a_valid_api_key(server: Server, method: str, path: str) -> None:
    for headers in (
        {},
        {"X-API-Key": "wrong"},
        {"Authorization": "Bearer wrong"},
        {"Authorization": "Basic x"},
    ):
        response = httpx.request(method, f"{server.url}{path}", headers=headers, json={})
        assert response.status_code == 401, (headers, response.text)
        assert "API key" in response.json()["detail"]


def test_a_key_is_accepted_in_either_header(server: Server) -> None:
    known, _ = store_customers(server)
    for headers in ({"X-API-Key": "serving-test-key"}, {"Authorization": "Bearer other-key"}):
        assert httpx.get(f"{server.url}{CHURN.format(known[0])}", headers=headers).status_code == 200


def test_churn_of_a_customer_is_the_champion_or_challenger_score_of_its_current_features(
    server: Server,
) -> None:
    known, _ = store_customers(server)
    with server.client() as client:
        answers = [client.get(CHURN.format(customer)).json() for customer in known[:40]]
    store = OnlineStore(server.settings.ml.online_store_path)
    features = store.features(known[:40]).set_index("customer_id")
    models = {v: registry.load_model(server.settings, server.settings.ml.churn_model, a, flavor="sklearn")
              for a, v in (("champion", "1"), ("challenger", "2"))}  # fmt: skip
    for answer in answers:
        assert answer["role"] in ("champion", "challenger") and not answer["cold_start"]
        assert answer["model_version"] == {"champion": "1", "challenger": "2"}[answer["role"]]
        assert answer["features_as_of"] == store.meta()["features_as_of"]
        row = features.loc[[answer["customer_id"]], list(CHURN_FEATURES)]
        expected = models[answer["model_version"]].predict_proba(row)[0, 1]
        assert answer["churn_probability"] == pytest.approx(expected, abs=1e-12)
    # the champion's online answers equal batch scoring's (same version, same features)
    with connect(server.settings) as connection:
        batch = dict(fetch_all(connection, "select customer_id, churn_probability from ml.churn_predictions"))
    champion = [a for a in answers if a["role"] == "champion"]
    assert champion
    for answer in champion:
        assert answer["churn_probability"] == pytest.approx(batch[answer["customer_id"]], abs=1e-9)


def test_unknown_customer_is_404_and_a_customer_without_history_gets_the_base_rate(server: Server) -> None:
    _, quiet = store_customers(server)
    with server.client() as client:
        missing = client.get(CHURN.format(10**9))
        assert missing.status_code == 404 and "not in the online store" in missing.json()["detail"]
        assert client.get(f"/customers/{10**9}/recommendations").status_code == 404
        assert client.get("/no/such/route").status_code == 404
        if quiet:
            cold = client.get(CHURN.format(quiet[0])).json()
            meta = OnlineStore(server.settings.ml.online_store_path).meta()
            assert cold["cold_start"] and cold["role"] == "cold_start" and cold["model_version"] is None
            assert cold["churn_probability"] == pytest.approx(meta["base_churn_rate"])


def test_recommendations_are_the_stores_or_popular_items_for_a_cold_start(server: Server) -> None:
    store = OnlineStore(server.settings.ml.online_store_path)
    known, _ = store_customers(server)
    with server.client() as client:
        answered = client.get(f"/customers/{known[0]}/recommendations", params={"k": 5}).json()
        assert answered["product_ids"] == (store.recommendations(known[0], 5) or store.popular(5))
        assert len(answered["product_ids"]) == 5
        default = client.get(f"/customers/{known[0]}/recommendations").json()
        assert len(default["product_ids"]) == 10
        bad = client.get(f"/customers/{known[0]}/recommendations", params={"k": 0})
        assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["query", "k"]
    assert store.popular(5), "the store has popular items for a cold start"


def payload(server: Server, customer_id: int) -> dict:
    features = OnlineStore(server.settings.ml.online_store_path).features([customer_id])
    row = features.iloc[0]
    body = {c: (None if row[c] != row[c] else row[c]) for c in CHURN_FEATURES}  # NaN -> null
    return {**body, "customer_id": customer_id}


def test_predict_churn_scores_a_payload_and_names_the_bad_field(server: Server) -> None:
    known, _ = store_customers(server)
    body = payload(server, known[1])
    with server.client() as client:
        by_payload = client.post("/predict/churn", json=body).json()
        by_id = client.get(CHURN.format(known[1])).json()
        assert by_payload["churn_probability"] == pytest.approx(by_id["churn_probability"], abs=1e-12)
        assert by_payload["model_version"] == by_id["model_version"]
        for field, value in (("orders_last_30d", -1), ("tenure_days", "many"), ("loyalty_tier", "")):
            response = client.post("/predict/churn", json={**body, field: value})
            assert response.status_code == 422
            assert response.json()["detail"][0]["loc"] == ["body", field], response.text
        missing = client.post(
            "/predict/churn", json={k: v for k, v in body.items() if k != "sessions_last_30d"}
        )
        assert missing.status_code == 422 and missing.json()["detail"][0]["loc"] == [
            "body",
            "sessions_last_30d",
        ]
        huge = client.post("/predict/churn", content=b"{" + b" " * 100_000 + b"}",
                           headers={"Content-Type": "application/json"})  # fmt: skip
        assert huge.status_code == 413


def test_canary_share_is_within_tolerance_and_sticky(server: Server) -> None:
    known, _ = store_customers(server)
    customers = known[:400]
    with server.client() as client:
        first = {c: client.get(CHURN.format(c)).json()["role"] for c in customers}
        again = {c: client.get(CHURN.format(c)).json()["role"] for c in customers}
    assert first == again, "a customer's version changed between two requests"
    share = Counter(first.values())["challenger"] / len(customers)
    tolerance = 3 * (CANARY_SHARE * (1 - CANARY_SHARE) / len(customers)) ** 0.5
    assert abs(share - CANARY_SHARE) <= tolerance, (
        f"challenger answered {share:.3f} of {len(customers)} customers"
    )


def test_the_challenger_shadows_the_champions_answers_without_changing_them(server: Server) -> None:
    known, _ = store_customers(server)
    with server.client() as client:
        answers = [client.get(CHURN.format(c)).json() for c in known[:60]]
    served = {a["request_id"]: a for a in answers if a["role"] == "champion"}
    assert served
    ids = tuple(served)
    marks = ", ".join("?" for _ in ids)

    def shadows() -> list[sqlite3.Row]:
        return log_rows(server, f"role = 'shadow' and request_id in ({marks})", ids)

    assert wait_for(lambda: len(shadows()) == len(ids)), "a champion answer has no shadow score"
    logged = {
        row["request_id"]: row
        for row in log_rows(server, f"role = 'champion' and request_id in ({marks})", ids)
    }
    for row in shadows():
        assert row["model_version"] == "2"
        assert logged[row["request_id"]]["score"] == pytest.approx(
            served[row["request_id"]]["churn_probability"]
        )
        assert logged[row["request_id"]]["model_version"] == "1"
    # the challenger's canary answers are not shadowed
    canary = tuple(a["request_id"] for a in answers if a["role"] == "challenger")
    assert not log_rows(
        server, f"role = 'shadow' and request_id in ({', '.join('?' for _ in canary)})", canary
    )


def test_metrics_count_requests_by_endpoint_and_model_version(server: Server) -> None:
    with server.client() as client:
        text = client.get("/metrics").text
    assert (
        'emporium_http_requests_total{endpoint="/customers/{customer_id}/churn",method="GET",model_version="1"'
        in text
    )
    assert 'emporium_http_request_duration_seconds_bucket{endpoint="/customers/{customer_id}/churn"' in text
    assert 'status="401"' in text and 'status="413"' in text


def test_the_prediction_log_is_append_only_and_loaded_by_its_dagster_job(server: Server) -> None:
    import dagster as dg

    from emporium.config import settings_env
    from orchestration.definitions import build_definitions
    from orchestration.instance import get_instance

    connection = sqlite3.connect(server.settings.serving.prediction_log_path)
    try:
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            connection.execute("delete from predictions")
    finally:
        connection.close()
    logged = len(log_rows(server))
    definitions = build_definitions(settings_env(server.settings))
    job = definitions.resolve_job_def("prediction_log")
    result = job.execute_in_process(instance=get_instance(server.settings), raise_on_error=False)
    assert result.success
    with connect(server.settings) as connection:
        ((loaded,),) = fetch_all(connection, "select count(*) from ml.prediction_log")
        report = fetch_all(
            connection,
            "select model_version, role, predictions, shadowed_requests, mean_abs_gap_to_served"
            " from ml.prediction_version_report order by role",
        )
    assert loaded >= logged
    by_role = {row[1]: row for row in report}
    assert by_role["champion"][0] == "1" and by_role["challenger"][0] == "2"
    assert by_role["shadow"][3] == by_role["shadow"][2] > 0 and by_role["shadow"][4] > 0
    assert isinstance(result, dg.ExecuteInProcessResult)


def test_the_purge_blanks_a_customer_in_the_log_and_keeps_it_append_only(server: Server) -> None:
    from serving.prediction_log import erase_customer

    customer = log_rows(server, "customer_id is not null")[0]["customer_id"]
    before = len(log_rows(server, "customer_id = ?", (customer,)))
    assert erase_customer(server.settings.serving.prediction_log_path, customer) == before > 0
    assert not log_rows(server, "customer_id = ?", (customer,))
    connection = sqlite3.connect(server.settings.serving.prediction_log_path)
    try:
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            connection.execute("update predictions set score = 0")
    finally:
        connection.close()


def hammer(server: Server, customers: list[int], stop: threading.Event, answers: list) -> None:
    """GET churn round the customers until `stop`; every answer (or error) is kept."""
    with server.client() as client:
        i = 0
        while not stop.is_set():
            try:
                response = client.get(CHURN.format(customers[i % len(customers)]))
                answers.append((response.status_code, response.json()))
            except httpx.HTTPError as error:
                answers.append((0, str(error)))
            i += 1


def under_load(server: Server, action: Callable[[], None], threads: int = 4, at_least: int = 0) -> list:
    """The answers to requests sent by `threads` clients while `action` runs, and after it until `at_least`
    answers came (bounded), so a busy machine still puts the action under load."""
    known, _ = store_customers(server)
    stop, answers = threading.Event(), []
    workers = [
        threading.Thread(target=hammer, args=(server, known[:50], stop, answers)) for _ in range(threads)
    ]
    for worker in workers:
        worker.start()
    try:
        action()
        deadline = time.monotonic() + 60
        while len(answers) < at_least and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        stop.set()
        for worker in workers:
            worker.join(timeout=60)
    return answers


def test_an_alias_switch_is_picked_up_live_with_no_failed_request(server: Server) -> None:
    settings = server.settings

    def switch() -> None:
        time.sleep(1)
        registry.promote(settings, settings.ml.churn_model, "2")  # champion 2, no challenger
        assert wait_for(lambda: httpx.get(f"{server.url}/health").json()["champion"] == "2")
        time.sleep(1)

    answers = under_load(server, switch, at_least=51)
    assert len(answers) > 50
    failed = [a for a in answers if a[0] != 200]
    assert not failed, failed[:3]
    versions = [a[1]["model_version"] for a in answers]
    assert "1" in versions and versions[-1] == "2"
    assert httpx.get(f"{server.url}/health").json()["challenger"] is None


def test_requests_keep_succeeding_while_the_pipeline_rebuilds_the_warehouse(server: Server) -> None:
    """The landing day's run rebuilds the warehouse and batch scoring rewrites the online store (atomic
    rename): the service never opens the warehouse, and picks the new store up without a restart."""
    from ingest.raw_load import landing_days
    from orchestration.runner import materialize_warehouse

    settings = server.settings
    store = settings.ml.online_store_path
    before = store.stat().st_ino
    outcome: list = []

    def rebuild() -> None:
        last = landing_days(settings.landing_dir)[-1]
        outcome.append(materialize_warehouse(settings, window=(last, last)))
        assert wait_for(lambda: httpx.get(f"{server.url}/health").json()["last_error"] is None)
        time.sleep(2)  # the watcher's next look

    answers = under_load(server, rebuild, threads=2)
    assert outcome[0].success, outcome[0].render()
    written = OnlineStore(store).meta()["written_at"]
    assert wait_for(lambda: httpx.get(f"{server.url}/health").json()["store_written_at"] == written)
    assert "ml/churn_predictions" in outcome[0].materialized
    assert store.stat().st_ino != before, "batch scoring did not replace the online store"
    failed = [a for a in answers if a[0] != 200]
    assert answers and not failed, failed[:3]
