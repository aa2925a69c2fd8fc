using Microsoft.Extensions.Configuration;
using Heads.AppHost;

var builder = DistributedApplication.CreateBuilder(args);

var infrastructure = builder.AddHeadsInfrastructure();
var rabbitmq = infrastructure.RabbitMq;
var blobs = infrastructure.Blobs;

var scraper = builder.AddProject<Projects.Scraper_Service>("scraper")
    .WithHttpHealthCheck("/health")
    .WithReference(rabbitmq).WaitFor(rabbitmq)
    .WithReference(blobs).WaitFor(blobs)
    .WithScraperPipeline(builder.Configuration);

var dataset = builder.AddProject<Projects.Dataset_Service>("dataset")
    .WithHttpHealthCheck("/health")
    .WithReference(rabbitmq).WaitFor(rabbitmq)
    .WithReference(blobs).WaitFor(blobs)
    .WithDatasetPipeline(builder.Configuration, Infrastructure.RepositoryRoot(builder));

var trainerReplicas = builder.Configuration.GetValue("Heads:Trainer:Replicas", 2);
var trainer = builder.AddProject<Projects.Trainer_Service>("trainer")
    .WithHttpHealthCheck("/health")
    .WithReference(rabbitmq).WaitFor(rabbitmq)
    .WithReference(blobs).WaitFor(blobs)
    .WithReplicas(trainerReplicas)
    // Replicas on one machine share its cores: each gets its share of TorchSharp threads.
    .WithEnvironment("Trainer__TorchThreads", Math.Max(1, Environment.ProcessorCount / Math.Max(1, trainerReplicas)).ToString(System.Globalization.CultureInfo.InvariantCulture))
    .WithTrainerPipeline(builder.Configuration);

var inference = builder.AddProject<Projects.Inference_Service>("inference")
    .WithHttpHealthCheck("/health")
    .WithReference(rabbitmq).WaitFor(rabbitmq)
    .WithReference(blobs).WaitFor(blobs)
    .WithInferenceCommands();

builder.Build().Run();
