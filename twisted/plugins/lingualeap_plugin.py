from twisted.application.service import ServiceMaker

LinguaLeap = ServiceMaker(
    "LinguaLeap", "lingualeap.app.tap", "A real-time multiplayer language-learning word game server.", "lingualeap"
)
