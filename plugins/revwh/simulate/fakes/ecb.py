"""The ECB data API (SDMX 2.1 REST, `format=csvdata`): the EXR dataflow's daily reference rates,
served from the simulated company's rates (revwh.simulate.fx via the simulator's daily files)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from revwh.simulate.fakes.server import FakeServer, Request, Response, json_response
from revwh.simulate.fakes.store import SimStore

HEADER = ("KEY,FREQ,CURRENCY,CURRENCY_DENOM,EXR_TYPE,EXR_SUFFIX,TIME_PERIOD,OBS_VALUE,"
          "OBS_STATUS,TITLE\n")


def _published(store: SimStore) -> dict[date, dict[str, str]]:
    """Publication day -> {currency: rate as the ECB writes it}, from the daily files."""
    rates: dict[date, dict[str, str]] = {}
    for day in store.days("ecb", "fx_rates"):
        text = store.text("ecb", "fx_rates", day)
        if not text:
            continue
        lines = [line for line in text.splitlines() if line.strip()]
        header = [c.strip() for c in lines[0].split(",")]
        values = [v.strip() for v in lines[1].split(",")]
        published = datetime.strptime(values[0], "%d %B %Y").date()
        rates[published] = {c: v for c, v in zip(header[1:], values[1:], strict=False)
                            if c and v}
    return rates


def build(store: SimStore, server: FakeServer | None = None) -> FakeServer:
    server = server or FakeServer()
    rates = _published(store)

    def data(request: Request, key: str) -> Response:
        parts = key.split(".")
        if len(parts) != 5 or parts[0] != "D":
            return json_response({"message": f"unknown series key {key}"}, 400)
        wanted = set(parts[1].split("+")) if parts[1] else None
        start = date.fromisoformat(request.arg("startPeriod", "1999-01-04"))
        end = date.fromisoformat(request.arg("endPeriod", "2999-12-31"))

        def rows():
            yield HEADER.encode()
            day = start
            while day <= end:
                for currency, value in rates.get(day, {}).items():
                    if wanted is None or currency in wanted:
                        yield (f"EXR.D.{currency}.EUR.SP00.A,D,{currency},EUR,SP00,A,"
                               f"{day.isoformat()},{value},A,{currency}/EUR\n").encode()
                day += timedelta(days=1)

        return Response(200, rows(), content_type="text/csv")

    server.route("GET", r"/service/data/EXR/(?P<key>[^/]+)", data)
    return server
