"""The issue-8 benchmark workload on the Python side: the same LiteLLM-shaped counter series as
bench/aggregate/workload.ts (litellm_proxy_total_requests_metric, 8 labels), label for label."""

METRIC = "litellm_proxy_total_requests_metric"  # prometheus_client exposes it with `_total`
HELP = "Total number of requests made to the proxy server - track number of client side requests"
LABELS = (
    "end_user",
    "hashed_api_key",
    "api_key_alias",
    "requested_model",
    "team",
    "team_alias",
    "user",
    "status_code",
)
_HEX = "abcdef0123456789" * 4
_MODELS = ("gpt-4o", "claude-3-5-sonnet", "gemini-1.5-pro")


def series_labels(i: int) -> dict:
    """The label values of series number i: seriesLabels(i) of workload.ts."""
    return {
        "end_user": f"user-{i}",
        "hashed_api_key": _HEX[i % 16 :] + _HEX[: i % 16],
        "api_key_alias": f"key-{i % 100}",
        "requested_model": _MODELS[i % 3],
        "team": f"team-{i % 20}",
        "team_alias": "None",
        "user": f"internal-{i % 50}",
        "status_code": "429" if i % 10 == 0 else "200",
    }
