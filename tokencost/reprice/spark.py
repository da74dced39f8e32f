"""The distributed engine: Apache Spark running the same SQL over the same price table.

The price table and model map are small and broadcast; money is ``DecimalType`` with
``spark.sql.decimalOperations.allowPrecisionLoss`` off (so no product is silently rounded) and
ANSI mode on (so an overflow is an error, never a NULL).  The session's time zone is UTC.
"""

from __future__ import annotations

import datetime as dt
import os
from typing import Any

from .canonical import COLUMNS, missing_required, projection_sql
from .pricetable import flat_records, price_columns
from .rules import lookup_sql

SESSION_CONF = {
    "spark.sql.decimalOperations.allowPrecisionLoss": "false",
    "spark.sql.ansi.enabled": "true",
    "spark.sql.session.timeZone": "UTC",
}


def spark_session(master: str = "local[*]", app_name: str = "tokencost-reprice"):
    """A local SparkSession set up for exact money (tests and ``--engine spark`` without a cluster)."""
    from pyspark.sql import SparkSession

    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    builder = (
        SparkSession.builder.master(master)
        .appName(app_name)
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
    )
    for key, value in SESSION_CONF.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session


def _type(sql_type: str):
    from pyspark.sql import types as T

    if sql_type.startswith("DECIMAL"):
        p, s = sql_type[8:-1].split(",")
        return T.DecimalType(int(p), int(s))
    return {
        "TIMESTAMP": T.TimestampType(),
        "STRING": T.StringType(),
        "VARCHAR": T.StringType(),
        "BIGINT": T.LongType(),
        "BOOLEAN": T.BooleanType(),
        "DATE": T.DateType(),
    }[sql_type]


def _schema(cols: list[tuple[str, str]]):
    from pyspark.sql import types as T

    return T.StructType([T.StructField(n, _type(t), True) for n, t in cols])


class SparkEngine:
    """Temp views ``usage``, ``prices`` (broadcast) and ``model_map`` in a SparkSession."""

    name = "spark"

    def __init__(self, spark: Any = None):
        self.spark = spark or spark_session()
        for key, value in SESSION_CONF.items():
            self.spark.conf.set(key, value)
        self.rows_in: list[tuple] = []
        self.parts: list[str] = []

    def add_rows(self, rows: list[tuple]) -> None:
        self.rows_in.extend(rows)

    def add_parquet(self, paths: list[str], columns: dict[str, str]) -> None:
        df = self.spark.read.option("mergeSchema", "true").parquet(*paths)
        missing_required(df.columns, columns, paths[0] if len(paths) == 1 else f"{len(paths)} Parquet files")
        df = df.selectExpr("*", "_metadata.file_path AS `__tokencost_file`")
        self._view(df, columns, "`__tokencost_file`")

    def add_frame(self, frame: Any, columns: dict[str, str]) -> None:
        if not type(frame).__module__.startswith("pyspark"):
            frame = self.spark.createDataFrame(frame)
        missing_required(frame.columns, columns, "the DataFrame")
        self._view(frame, columns, "'<DataFrame>'")

    def _view(self, df: Any, columns: dict[str, str], source_file: str) -> None:
        raw = f"_tc_raw{len(self.parts)}"
        df.createOrReplaceTempView(raw)
        available = list(df.columns)
        view = f"_tc_usage{len(self.parts)}"
        self.spark.sql(
            projection_sql(
                raw,
                available,
                columns,
                source_file,
                "CAST(NULL AS BIGINT)",
                dialect="spark",
                types={f.name: f.dataType.simpleString() for f in df.schema.fields},
            )
        ).createOrReplaceTempView(view)
        self.parts.append(view)

    def finish_usage(self) -> None:
        cols = [n for n, _ in COLUMNS]
        schema = _schema(list(COLUMNS))
        rows = [tuple(_to_spark(v) for v in r) for r in self.rows_in]
        base = self.spark.createDataFrame(rows, schema)
        base.createOrReplaceTempView("_tc_usage_py")
        selects = [f"SELECT {', '.join(cols)}, CAST(NULL AS STRING) AS bad_reason FROM _tc_usage_py"]
        selects += [f"SELECT {', '.join(cols)}, bad_reason FROM {v}" for v in self.parts]
        self.spark.sql(" UNION ALL ".join(selects)).createOrReplaceTempView("_tc_usage")

    def set_prices(self, rows: list, n_bands: int) -> None:

        cols = price_columns(n_bands)
        df = self.spark.createDataFrame([tuple(r) for r in flat_records(rows, n_bands)], _schema(cols))
        df.createOrReplaceTempView("_tc_prices")

    def set_mapping(self, pairs: list[tuple[str, str, str | None]]) -> None:
        from pyspark.sql.functions import broadcast

        cols = [("raw_model", "STRING"), ("raw_provider", "STRING"), ("model_key", "STRING")]
        self.spark.createDataFrame([tuple(p) for p in pairs], _schema(cols)).createOrReplaceTempView("_tc_model_map")
        broadcast(self.spark.sql(lookup_sql())).createOrReplaceTempView("_tc_lookup")

    def set_recount(self, rows: list[tuple[str, int, int]]) -> None:
        """Prompt tokens recounted from text, keyed by the usage row's file and line."""
        cols = [("source_file", "STRING"), ("line", "BIGINT"), ("input_tokens", "BIGINT")]
        self.spark.createDataFrame([tuple(r) for r in rows], _schema(cols)).createOrReplaceTempView("_tc_recount")

    def rows(self, sql: str) -> tuple[list[str], list[tuple]]:
        df = self.spark.sql(sql)
        return list(df.columns), [tuple(r) for r in df.collect()]

    def close(self) -> None:
        """Leaves the session running: it may be the caller's (stop it yourself when done)."""


def _to_spark(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=dt.UTC)  # canonical timestamps are naive UTC
    return value
