# Elasticsearch with the ICU analysis plugin: the index then folds diacritics with icu_folding
# (ElasticIndex detects the plugin when it creates the index template). Without it, the
# asciifolding filter is used; both find "ngập lụt" for "ngap lut".
ARG STACK_VERSION=9.1.0
FROM docker.elastic.co/elasticsearch/elasticsearch:${STACK_VERSION}
RUN bin/elasticsearch-plugin install --batch analysis-icu
