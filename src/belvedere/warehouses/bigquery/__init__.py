"""Google BigQuery: jobs over REST, results over the Storage Read API (Arrow over gRPC)."""

from belvedere.warehouses.bigquery.backend import BigQueryWarehouse
from belvedere.warehouses.bigquery.options import BigQueryOptions

__all__ = ["BigQueryOptions", "BigQueryWarehouse"]
