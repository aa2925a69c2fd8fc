using Scraper.Service.Apis;
using Scraper.Service.Extensions;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();

app.UseHeadsErrorHandling();
app.MapDefaultEndpoints();
app.MapApiExplorer();
app.MapDiagnosticsApi();
app.MapScrapesApi();

app.Run();
