"""The IKM report as one CSV table for spreadsheets.

render_ikm_csv(report, lang="id") -> bytes   UTF-8 with a BOM (so Excel reads it as UTF-8),
                                             one header row then one row per scope: the
                                             venue, each tenant, each service (a tenant's
                                             report: the tenant and its services).

The first columns are fixed, for machines: `scope,id,name,respondents,u1..u9,ikm,mutu,
kinerja` (u1..u9 the NRR of `ikm.KEYS` in order, 3 decimals; ikm the converted value, 2
decimals; a point for decimals; empty cells without respondents), then population,
minimum_sample, sample_enough (yes/no) and weakest (the unsur key).
"""

from __future__ import annotations

import csv
import io

from managers.ikm import IkmReport, Scope
from managers.ikm_wording import decimal, kinerja
from server.domain import ikm
from server.i18n import Lang

HEADER: tuple[str, ...] = (
    "scope",
    "id",
    "name",
    "respondents",
    *(f"u{i}" for i in range(1, len(ikm.KEYS) + 1)),
    "ikm",
    "mutu",
    "kinerja",
    "population",
    "minimum_sample",
    "sample_enough",
    "weakest",
)


def scope_row(scope: Scope, lang: Lang = "id") -> list[str]:
    result = scope.result
    head = [scope.scope, scope.id, scope.name, str(scope.respondents)]
    if result is None:
        figures = [""] * (len(ikm.KEYS) + 3)
        weakest = ""
    else:
        figures = [str(decimal(result.nrr[key], 3)) for key in ikm.KEYS]
        figures += [str(result.value), result.mutu, kinerja(result.kinerja, lang)]
        weakest = result.weakest
    enough = "yes" if scope.sample_enough else "no"
    return [*head, *figures, str(scope.population), str(scope.minimum_sample), enough, weakest]


def render_ikm_csv(report: IkmReport, lang: Lang = "id") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows(scope_row(scope, lang) for scope in report.scopes())
    return ("\ufeff" + out.getvalue()).encode("utf-8")
