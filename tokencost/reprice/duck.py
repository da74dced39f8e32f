"""The embedded engine: DuckDB, out of core (memory limit, spill directory, thread count set)."""

from __future__ import annotations

import os
import tempfile
from typing import Any

from .canonical import COLUMNS, missing_required, projection_sql
from .pricetable import flat_records, price_columns
from .rules import lookup_sql


class DuckEngine:
    """One DuckDB connection holding ``usage``, ``prices`` and ``model_map``."""

    name = "duckdb"

    def __init__(
        self,
        *,
        memory_limit: str = "2GB",
        temp_directory: str | None = None,
        threads: int | None = None,
        connection: Any = None,
    ):
        import duckdb

        self.duckdb = duckdb
        self.owned = connection is None
        self.con = connection or duckdb.connect()
        if self.owned:  # a caller's connection keeps its own limits
            self.temp_directory = temp_directory or os.path.join(tempfile.gettempdir(), "tokencost-duckdb")
            self.con.execute(f"SET memory_limit = '{memory_limit}'")
            self.con.execute(f"SET temp_directory = '{self.temp_directory}'")
            self.con.execute(f"SET threads = {int(threads or os.cpu_count() or 1)}")
            self.con.execute("SET preserve_insertion_order = false")  # totals need no row order
        self.con.execute("SET TimeZone = 'UTC'")
        self.parts: list[str] = []
        self.con.execute(
            "CREATE OR REPLACE TEMP TABLE _tc_usage_py ("
            + ", ".join(f"{n} {t}" for n, t in COLUMNS)
            + ", bad_reason STRING)"
        )

    # -- usage ---------------------------------------------------------------------------------
    def add_rows(self, rows: list[tuple]) -> None:
        """Append canonical tuples (already validated in Python)."""
        if not rows:
            return
        import pandas as pd

        names = [n for n, _ in COLUMNS]
        frame = pd.DataFrame.from_records(rows, columns=names).astype(object)
        frame["cost"] = [None if c is None else str(c) for c in frame["cost"]]
        frame = frame.where(frame.notna(), None)
        self.con.register("_chunk", frame)
        casts = ", ".join(f"CAST({n} AS {t})" for n, t in COLUMNS)
        self.con.execute(f"INSERT INTO _tc_usage_py SELECT {casts}, CAST(NULL AS STRING) FROM _chunk")
        self.con.unregister("_chunk")

    def add_parquet(self, paths: list[str], columns: dict[str, str]) -> None:
        files = "[" + ", ".join("'" + p.replace("'", "''") + "'" for p in paths) + "]"
        scan = f"read_parquet({files}, filename = true, file_row_number = true, union_by_name = true)"
        described = self.con.execute(f"DESCRIBE SELECT * FROM {scan}").fetchall()
        available = [r[0] for r in described]
        missing_required(available, columns, paths[0] if len(paths) == 1 else f"{len(paths)} Parquet files")
        view = f"_tc_usage_pq{len(self.parts)}"
        self.con.execute(
            f"CREATE OR REPLACE TEMP VIEW {view} AS "
            + projection_sql(
                scan, available, columns, "filename", "file_row_number + 1", types={r[0]: str(r[1]) for r in described}
            )
        )
        self.parts.append(view)

    def add_csv(self, path: str, columns: dict[str, str], gzip: bool) -> None:
        """A canonical CSV read by DuckDB itself (typed and validated in SQL; lines found on demand)."""
        quoted = "'" + path.replace("'", "''") + "'"
        scan = (
            f"read_csv({quoted}, header = true, all_varchar = true, filename = true"
            + (", compression = 'gzip'" if gzip else "")
            + ")"
        )
        available = [r[0] for r in self.con.execute(f"DESCRIBE SELECT * FROM {scan}").fetchall()]
        missing_required([a for a in available if a != "filename"], columns, path)
        view = f"_tc_usage_csv{len(self.parts)}"
        self.con.execute(
            f"CREATE OR REPLACE TEMP VIEW {view} AS "
            + projection_sql(scan, available, columns, "filename", "CAST(NULL AS BIGINT)")
        )
        self.parts.append(view)

    def add_frame(self, frame: Any, columns: dict[str, str]) -> None:
        """A pandas DataFrame or DuckDB relation with canonical (or mapped) columns."""
        name = f"_tc_frame{len(self.parts)}"
        if hasattr(frame, "create_view") and hasattr(frame, "columns"):  # a DuckDB relation, on its connection
            frame.create_view(name, replace=True)
        else:
            self.con.register(name, frame)
        described = self.con.execute(f"DESCRIBE SELECT * FROM {name}").fetchall()
        available = [r[0] for r in described]
        missing_required(available, columns, "the DataFrame")
        view = f"_tc_usage_df{len(self.parts)}"
        self.con.execute(
            f"CREATE OR REPLACE TEMP VIEW {view} AS "
            + projection_sql(
                name,
                available,
                columns,
                "'<DataFrame>'",
                "CAST(NULL AS BIGINT)",
                types={r[0]: str(r[1]) for r in described},
            )
        )
        self.parts.append(view)

    def finish_usage(self) -> None:
        cols = ", ".join([n for n, _ in COLUMNS] + ["bad_reason"])
        union = " UNION ALL ".join(
            [f"SELECT {cols} FROM _tc_usage_py"] + [f"SELECT {cols} FROM {v}" for v in self.parts]
        )
        self.con.execute(f"CREATE OR REPLACE TEMP VIEW _tc_usage AS {union}")

    # -- lookup tables -------------------------------------------------------------------------
    def set_prices(self, rows: list, n_bands: int) -> None:
        cols = price_columns(n_bands)
        self.con.execute("CREATE OR REPLACE TEMP TABLE _tc_prices (" + ", ".join(f"{n} {t}" for n, t in cols) + ")")
        records = flat_records(rows, n_bands)
        marks = "(" + ", ".join("?" for _ in cols) + ")"
        for i in range(0, len(records), 200):  # one statement per 200 rows: executemany costs ~1 ms a row
            chunk = records[i : i + 200]
            self.con.execute(
                "INSERT INTO _tc_prices VALUES " + ", ".join(marks for _ in chunk), [v for r in chunk for v in r]
            )

    def set_mapping(self, pairs: list[tuple[str, str, str | None]]) -> None:
        self.con.execute(
            "CREATE OR REPLACE TEMP TABLE _tc_model_map (raw_model STRING, raw_provider STRING, model_key STRING)"
        )
        if pairs:
            self.con.executemany("INSERT INTO _tc_model_map VALUES (?, ?, ?)", [list(p) for p in pairs])
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE _tc_lookup AS {lookup_sql()}")

    def set_recount(self, rows: list[tuple[str, int, int]]) -> None:
        """Prompt tokens recounted from text, keyed by the usage row's file and line."""
        import pandas as pd

        self.con.execute(
            "CREATE OR REPLACE TEMP TABLE _tc_recount (source_file VARCHAR, line BIGINT, input_tokens BIGINT)"
        )
        if rows:
            frame = pd.DataFrame.from_records(rows, columns=["source_file", "line", "input_tokens"])
            self.con.register("_recount_chunk", frame)
            self.con.execute("INSERT INTO _tc_recount SELECT * FROM _recount_chunk")
            self.con.unregister("_recount_chunk")

    # -- queries -------------------------------------------------------------------------------
    def rows(self, sql: str) -> tuple[list[str], list[tuple]]:
        cur = self.con.execute(sql)
        names = [d[0] for d in cur.description]
        return names, cur.fetchall()

    def close(self) -> None:
        if self.owned:
            self.con.close()
        else:
            for name in ("_tc_usage", *self.parts):
                self.con.execute(f"DROP VIEW IF EXISTS {name}")
