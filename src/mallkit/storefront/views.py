from django.http import HttpResponse, HttpResponseNotFound


def home(request):
    return HttpResponse("Mallkit")


def page_not_found(request, exception=None):
    return HttpResponseNotFound("Not found")
