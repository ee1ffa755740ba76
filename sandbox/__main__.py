"""`python -m sandbox [--host 127.0.0.1] [--port 5010]`: the sandbox on werkzeug's threaded
server (threaded, so a request held back by a timeout fault does not block the others)."""
import argparse

from werkzeug.serving import make_server

from .app import create_sandbox_app


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5010)
    args = parser.parse_args(argv)
    server = make_server(args.host, args.port, create_sandbox_app(), threaded=True)
    print(f"partner sandbox: http://{args.host}:{server.port}/", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
