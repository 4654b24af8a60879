"""bilateral-monitor: the service (domain, runtimes, HTTP API, command line).

Rooms, imports running one way (``tests/unit/test_import_cycles.py`` keeps them so)::

    cli -> bootstrap -> api -> runtime -> domain -> schemas
    cli -> cli_output, runtime     (a command calls a runtime, then renders)
    tools -> runtime               (scripts, benchmarks)
    any room -> config, logs       (which import nothing of the service)

``domain`` is pure logic; ``runtime`` brings events to it (embedded SQLite, Faust on Kafka);
``api`` serves a worker's HTTP views; ``bootstrap`` wires a Kafka worker from one ``Settings``;
``cli`` is the command line (``cli_output`` what it prints).
"""
