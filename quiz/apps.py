from django.apps import AppConfig


class QuizConfig(AppConfig):
    name = "quiz"
    verbose_name = "Quiz"

    def ready(self):
        from . import signals  # noqa: F401  (connects the sign-in receiver)
