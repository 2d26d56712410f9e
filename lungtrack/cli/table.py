"""Show CSV/TSV tables (cohort.csv, failures.tsv) as one self-contained HTML page, for `snakemake --report`."""


def add_arguments(parser):
    parser.add_argument("tables", nargs="+", help="CSV files (TSV by their .tsv suffix), one section each")
    parser.add_argument("--title", default="Cohort table", help="the page's title")
    parser.add_argument("--out", required=True, help="HTML page to write")


def run(args) -> int:
    from lungtrack.io.atomic import write_text
    from lungtrack.report.tables import tables_page

    write_text(args.out, tables_page(args.tables, args.title))
    return 0
