"""Gather the case status files of `lungtrack convert --status` into one table (TSV, one row per case)."""


def add_arguments(parser):
    parser.add_argument("status", nargs="*", metavar="STATUS", help="case status files (JSON), one per case")
    parser.add_argument("--out", required=True,
                        help="table to write (TSV): patient_id, study_date, timepoint, status (ok or failed), "
                             "failed_step, reason")


def run(args) -> int:
    import logging

    from lungtrack.ingest.status import read_status, status_table
    from lungtrack.io.atomic import atomic_path

    table = status_table([read_status(p) for p in args.status])
    with atomic_path(args.out) as tmp:
        table.to_csv(tmp, sep="\t", index=False)
    logging.getLogger("lungtrack.case_status").info("%d cases, %d to analyse -> %s", len(table),
                                                    int((table["status"] == "ok").sum()), args.out)
    return 0
