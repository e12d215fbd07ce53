"""Fuzz the detection service's upload path; fail on a crash or an unexpected answer.

Sends ``--n`` malformed uploads (empty, truncated, bit-flipped, random bytes, refused
formats, decompression bombs, odd valid files; see
``projects.tbank_logo.service.testing.malformed_uploads``) and malformed requests (no
field, wrong field, broken multipart, oversize), then runs schemathesis against
``/openapi.json``. Target: no 5xx other than 503/504, every answer in the contract's shape,
the service healthy afterwards. Exit status 1 when that fails.

    python tools/fuzz_service.py --model fake --n 600 --out benchmarks/service_fuzz
"""
import argparse
import os.path as osp
import shlex
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))  # run from a clone


def parse_args(argv=None):
    from projects.tbank_logo.service import bench
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    bench.add_target_args(p)
    p.add_argument('--n', type=int, default=600, help='malformed uploads')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--max-upload-mb', type=float, default=20.0,
                   help="the service's upload limit (the oversize case goes past it)")
    p.add_argument('--schemathesis-examples', type=int, default=50,
                   help='examples per operation (0: skip schemathesis)')
    p.add_argument('--out', help='write OUT.json and OUT.md (e.g. benchmarks/service_fuzz)')
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    from projects.tbank_logo.service import bench
    from projects.tbank_logo.service.testing import malformed_uploads
    proc, url, pid = bench.start_target(args)
    try:
        rss_before = bench.server_rss(url, pid)
        result = bench.fuzz(url, malformed_uploads(args.n, args.seed),
                            int(args.max_upload_mb * 1024 ** 2))
        if args.schemathesis_examples:
            result['schemathesis'] = bench.run_schemathesis(url, args.schemathesis_examples,
                                                            args.seed)
        rss_after = bench.server_rss(url, pid)
        result['server_alive'] = proc is None or proc.poll() is None
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(30)
    result['rss_mb'] = {'before': rss_before and round(rss_before / 2 ** 20, 1),
                        'after': rss_after and round(rss_after / 2 ** 20, 1)}
    result['model'] = args.model or args.url
    schema = result.get('schemathesis', {})
    ok = (result['unexpected'] == 0 and result['health_after'] == 200
          and result['server_alive'] and schema.get('exit_code', 0) == 0)
    result['passed'] = ok
    print(f"{result['uploads']} malformed uploads/requests in {result['seconds']} s: "
          f"statuses {result['statuses']}; unexpected {result['unexpected']}; "
          f"5xx other than 503/504: {result['server_errors_other_than_503_504']}; "
          f"health after: {result['health_after']}; schemathesis exit "
          f"{schema.get('exit_code', schema.get('skipped') or schema.get('error'))}")
    for failure in result['failures'][:10]:
        print('  unexpected:', failure)
    if schema.get('summary'):
        print(schema['summary'])
    if args.out:
        bench.write_report(result, args.out, 'Detection service fuzz pass',
                           'python tools/fuzz_service.py ' + shlex.join(argv or sys.argv[1:]))
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
