from fastapi import FastAPI

app = FastAPI(title="a sensor, run by its own image")
