"""Run one LinguaLeap instance from a .tac file: ``twistd -ny tac/lingualeap.tac``.

The same options as ``twistd lingualeap`` are read from the LINGUALEAP_ARGS environment variable
(e.g. ``LINGUALEAP_ARGS="--port 9000 --rounds 5"``), so one file serves every deployment.
"""

import os
import shlex

from twisted.application.service import Application

from lingualeap.app.tap import Options, makeService

options = Options()
options.parseOptions(shlex.split(os.environ.get("LINGUALEAP_ARGS", "")))

application = Application("lingualeap")
makeService(options).setServiceParent(application)
