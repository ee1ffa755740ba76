"""`python -m sandbox [--host 127.0.0.1] [--port 5010] [--smtp-port 5025]`: the sandbox on
werkzeug's threaded server (threaded, so a request held back by a timeout fault does not block
the others), and with --smtp-port its mail sink (GET /_sandbox/mails shows what arrived)."""
import argparse

from werkzeug.serving import make_server

from .app import create_sandbox_app
from .mail import start_mail_sink


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5010)
    parser.add_argument("--smtp-port", type=int, default=None,
                        help="also run the SMTP mail sink on this port (0: a free one)")
    args = parser.parse_args(argv)
    app = create_sandbox_app()
    server = make_server(args.host, args.port, app, threaded=True)
    print(f"partner sandbox: http://{args.host}:{server.port}/", flush=True)
    sink = None
    if args.smtp_port is not None:
        sink = start_mail_sink(app.extensions["sandbox_store"], args.host, args.smtp_port)
        print(f"partner sandbox mail sink: smtp://{args.host}:{sink.port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        if sink is not None:
            sink.stop()


if __name__ == "__main__":
    main()
