from ninja import NinjaAPI

api = NinjaAPI(title="Mallkit API", version="1", urls_namespace="api", docs_url="/docs")
