"""Stage 4, the synthesis in DuckDB: where the database lives and the query sandbox (:mod:`.database`), the DDL
derived from the Table Schemas (:mod:`.ddl`), views (:mod:`.views`), the build (:mod:`.build`), named and ad-hoc
queries (:mod:`.query`), the paper's tables as data (:mod:`.tables`) and Parquet/CSV export (:mod:`.export`)."""
