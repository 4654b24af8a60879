"""How events reach the domain, and what the command line asks of the runtimes.

Embedded: :mod:`~service.runtime.embedded` (an event log and projections in SQLite). Kafka:
the Faust app (:mod:`~service.runtime.faust_app`; storing in ``faust_store``, sending in
``faust_sender``, faust-streaming workarounds in ``faust_patches`` and ``faust_consumer``), the
recovery :mod:`~service.runtime.watchdog`, plain Kafka clients (:mod:`~service.runtime.kafka_io`)
and the replay from the inbound topics. For the command line: the
:class:`~service.runtime.commands.CommandRuntime` protocol with its embedded and Kafka
implementations. Also the metrics registry both runtimes count into.

Imports: ``schemas``, ``service.domain``, :mod:`service.config` and :mod:`service.logs`; never
``service.api``, ``service.bootstrap`` or ``service.cli`` (they import this).
"""
