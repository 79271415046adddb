from django.http import HttpRequest, HttpResponse

GREETING = "hello from django"


def index(request: HttpRequest) -> HttpResponse:
    return HttpResponse(GREETING, content_type="text/plain")
